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
  for_each = local.database_roles
  secret   = google_secret_manager_secret.database_url[each.key].id
  secret_data = format(
    "postgres://%s:%s@%s:5432/%s?sslmode=verify-ca&uselibpqcompat=true&sslrootcert=%s/%s",
    each.value,
    urlencode(random_password.database[each.key].result),
    google_sql_database_instance.main.private_ip_address,
    google_sql_database.heimdex.name,
    local.database_ca_dir,
    local.database_ca_file,
  )
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
