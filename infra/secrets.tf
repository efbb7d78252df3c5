# Every credential lives in Secret Manager and reaches a container only as a
# secret reference; each service account may read only its own. One URL per
# login role: the owner's password is the Cloud SQL user's (database.tf); the
# authenticator's and the worker's are set by `migrate` from their URLs.

resource "google_secret_manager_secret" "database_url" {
  for_each  = local.database_roles
  secret_id = "${local.prefix}-database-url-${each.key}"
  labels    = local.labels
  replication {
    auto {}
  }
  depends_on = [google_project_service.required]
}

resource "google_secret_manager_secret_version" "database_url" {
  for_each    = local.database_roles
  secret      = google_secret_manager_secret.database_url[each.key].id
  secret_data = format(local.database_url_format, each.value, urlencode(random_password.database[each.key].result), local.database_ports[each.key])
}

# With the managed pooler: the pooled roles' direct URLs (same role and
# password, port 5432), for the one session each process keeps for LISTEN.
resource "google_secret_manager_secret" "database_url_direct" {
  for_each  = local.pooled_roles
  secret_id = "${local.prefix}-database-url-${each.key}-direct"
  labels    = local.labels
  replication {
    auto {}
  }
  depends_on = [google_project_service.required]
}

resource "google_secret_manager_secret_version" "database_url_direct" {
  for_each    = local.pooled_roles
  secret      = google_secret_manager_secret.database_url_direct[each.key].id
  secret_data = format(local.database_url_format, local.database_roles[each.key], urlencode(random_password.database[each.key].result), 5432)
}

locals {
  # user, password, port: TLS verified against the server CA file.
  database_url_format = join("", [
    "postgres://%s:%s@${google_sql_database_instance.main.private_ip_address}:%d/${google_sql_database.heimdex.name}",
    "?sslmode=verify-ca&uselibpqcompat=true&sslrootcert=${local.database_ca_dir}/${local.database_ca_file}",
  ])
}

# Not a secret, but Cloud Run mounts files only from Secret Manager.
resource "google_secret_manager_secret" "database_ca" {
  secret_id = "${local.prefix}-database-ca"
  labels    = local.labels
  replication {
    auto {}
  }
  depends_on = [google_project_service.required]
}

resource "google_secret_manager_secret_version" "database_ca" {
  secret      = google_secret_manager_secret.database_ca.id
  secret_data = google_sql_database_instance.main.server_ca_cert[0].cert
}

# The codegen manifest of persisted operations (examples/generated/
# persisted-documents.json, or a frontend team's own). Terraform makes the
# secret only: each frontend release adds its manifest as a new version, and
# the API reads the latest when an instance starts (var.persisted_operations).
resource "google_secret_manager_secret" "persisted_operations" {
  secret_id = "${local.prefix}-persisted-operations"
  labels    = local.labels
  replication {
    auto {}
  }
  depends_on = [google_project_service.required]
}
