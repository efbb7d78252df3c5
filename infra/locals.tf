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

  # The port Cloud Run sends requests and probes to (the image's PORT, 8080).
  container_port = 8080

  # The server CA, mounted as a file; the URLs name it (sslrootcert).
  database_ca_dir  = "/etc/heimdex/db-ca"
  database_ca_file = "server-ca.pem"

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
