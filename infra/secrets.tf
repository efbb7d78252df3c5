# Every credential lives in Secret Manager and reaches a container only as a
# secret reference; each service account may read only its own.

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

# The HS256 secret of dev authentication: only outside prod, only when chosen.
resource "random_password" "dev_jwt_secret" {
  count   = local.dev_jwt_secret_enabled ? 1 : 0
  length  = 64
  special = false
}

resource "google_secret_manager_secret" "dev_jwt_secret" {
  count     = local.dev_jwt_secret_enabled ? 1 : 0
  secret_id = "${local.prefix}-dev-jwt-secret"
  labels    = local.labels
  replication {
    auto {}
  }
  depends_on = [google_project_service.required]
}

resource "google_secret_manager_secret_version" "dev_jwt_secret" {
  count       = local.dev_jwt_secret_enabled ? 1 : 0
  secret      = google_secret_manager_secret.dev_jwt_secret[0].id
  secret_data = random_password.dev_jwt_secret[0].result
}
