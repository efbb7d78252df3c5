locals {
  prefix = "heimdex-${var.environment}"
  labels = { app = "heimdex", environment = var.environment }

  # The image's three commands (see the Dockerfile); the image's entrypoint is node.
  commands = {
    api     = "dist/server/bin/api.js"
    worker  = "dist/worker/main.js"
    migrate = "dist/server/bin/migrate.js"
  }

  # Each process logs in as its own role; its connection URL is its secret.
  # Only the owner is a Cloud SQL user (database.tf); `migrate` creates the
  # other two and gives them the passwords in their URLs.
  database_roles = {
    owner         = "heimdex_owner"
    authenticator = "heimdex_authenticator"
    worker        = "heimdex_worker"
  }

  # With the managed pooler, the roles whose URLs lead to it (port 6432); each
  # also gets a direct URL (port 5432) for session state: LISTEN, for the
  # worker's queue and the API's subscriptions. The owner (migrations, which
  # hold a session advisory lock) always connects directly.
  pooled_roles   = var.pooler == "managed" ? toset(["authenticator", "worker"]) : toset([])
  database_ports = { for role in keys(local.database_roles) : role => contains(local.pooled_roles, role) ? 6432 : 5432 }
  pooler_env     = var.pooler == "managed" ? tomap({ DB_POOLER = "transaction" }) : tomap({})

  # The port Cloud Run sends requests and probes to (the image's PORT, 8080).
  container_port = 8080

  # The server CA, mounted as a file; the URLs name it (sslrootcert).
  database_ca_dir  = "/etc/heimdex/db-ca"
  database_ca_file = "server-ca.pem"

  # The persisted-operations manifest, mounted as a file when it is in use,
  # and the API settings that name it (server/http/persistedOperations.ts).
  persisted_operations_dir  = "/etc/heimdex/persisted-operations"
  persisted_operations_file = "persisted-documents.json"

  # Secrets mounted as files (modules/cloud_run's secret_files): the server
  # CA in every process, the manifest in the API only and only when in use
  # (converted, so both branches of each conditional have one type).
  database_ca_files = {
    "database-ca" = {
      secret = google_secret_manager_secret.database_ca.secret_id
      file   = local.database_ca_file
      dir    = local.database_ca_dir
    }
  }
  persisted_operations_files = var.persisted_operations == "off" ? tomap({}) : tomap({
    "persisted-operations" = {
      secret = google_secret_manager_secret.persisted_operations.secret_id
      file   = local.persisted_operations_file
      dir    = local.persisted_operations_dir
    }
  })

  persisted_operations_env = var.persisted_operations == "off" ? tomap({}) : tomap({
    PERSISTED_OPERATIONS_FILE = "${local.persisted_operations_dir}/${local.persisted_operations_file}"
    PERSISTED_OPERATIONS_ONLY = tostring(var.persisted_operations == "only")
  })

  # Plain settings every process needs; nothing secret goes here. Tokens are
  # always verified against the identity provider's key set: the application
  # refuses dev authentication outside HEIMDEX_ENV=local (variables.tf).
  common_env = {
    HEIMDEX_ENV   = var.environment
    LOG_LEVEL     = var.log_level
    AUTH_PROVIDER = var.auth_provider
    JWKS_URL      = var.jwks_url
    AUTH_ISSUER   = var.auth_issuer
    AUTH_AUDIENCE = var.auth_audience
  }
}
