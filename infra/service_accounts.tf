# One identity per process, each allowed only what it uses: its own secrets,
# and Cloud SQL client on this instance alone. No keys are ever created.

resource "google_service_account" "runtime" {
  for_each     = toset(["api", "worker", "migrate"])
  account_id   = "${local.prefix}-${each.key}"
  display_name = "Heimdex ${var.environment} ${each.key}"
  depends_on   = [google_project_service.required]
}

locals {
  # Which database URL secrets each identity reads. The API and the worker
  # read their own; the migration job also reads theirs, because `migrate`
  # creates those two roles and sets their passwords from the URLs.
  database_urls_of = {
    api     = ["authenticator"]
    worker  = ["worker"]
    migrate = ["owner", "authenticator", "worker"]
  }
  database_url_access = merge([
    for identity, roles in local.database_urls_of : {
      for role in roles : "${identity}/${role}" => { identity = identity, role = role }
    }
  ]...)
}

resource "google_secret_manager_secret_iam_member" "database_url" {
  for_each  = local.database_url_access
  secret_id = google_secret_manager_secret.database_url[each.value.role].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime[each.value.identity].member
}

# With the managed pooler, the API and the worker each read their own role's direct URL.
resource "google_secret_manager_secret_iam_member" "database_url_direct" {
  for_each  = { for identity, role in { api = "authenticator", worker = "worker" } : identity => role if contains(local.pooled_roles, role) }
  secret_id = google_secret_manager_secret.database_url_direct[each.value].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime[each.key].member
}

resource "google_secret_manager_secret_iam_member" "database_ca" {
  for_each  = google_service_account.runtime
  secret_id = google_secret_manager_secret.database_ca.id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}

# Only the API reads the manifest.
resource "google_secret_manager_secret_iam_member" "persisted_operations" {
  secret_id = google_secret_manager_secret.persisted_operations.id
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
