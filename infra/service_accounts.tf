# One identity per process, each allowed only what it uses: its own secrets,
# and Cloud SQL client on this instance alone. No keys are ever created.

resource "google_service_account" "runtime" {
  for_each     = toset(["api", "worker", "migrate"])
  account_id   = "${local.prefix}-${each.key}"
  display_name = "Heimdex ${var.environment} ${each.key}"
  depends_on   = [google_project_service.required]
}

locals {
  # Which database URL secret each identity reads.
  database_url_of = {
    api     = "authenticator"
    worker  = "worker"
    migrate = "owner"
  }
}

resource "google_secret_manager_secret_iam_member" "database_url" {
  for_each  = local.database_url_of
  secret_id = google_secret_manager_secret.database_url[each.value].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime[each.key].member
}

resource "google_secret_manager_secret_iam_member" "database_ca" {
  for_each  = google_service_account.runtime
  secret_id = google_secret_manager_secret.database_ca.id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}

resource "google_secret_manager_secret_iam_member" "dev_jwt_secret" {
  count     = local.dev_jwt_secret_enabled ? 1 : 0
  secret_id = google_secret_manager_secret.dev_jwt_secret[0].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime["api"].member
}

resource "google_project_iam_member" "sql_client" {
  for_each = google_service_account.runtime
  project  = var.project_id
  role     = "roles/cloudsql.client"
  member   = each.value.member
  condition {
    title      = "only-${local.prefix}"
    expression = "resource.name == \"projects/${var.project_id}/instances/${google_sql_database_instance.main.name}\""
  }
}
