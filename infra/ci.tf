# GitHub Actions deploys through Workload Identity Federation: a workflow of
# var.github_repository exchanges its OIDC token for the CI service account's
# short-lived credentials. There is no service-account key.

resource "google_iam_workload_identity_pool" "github" {
  workload_identity_pool_id = "${local.prefix}-github"
  display_name              = "GitHub Actions (${var.environment})"
  depends_on                = [google_project_service.required]
}

resource "google_iam_workload_identity_pool_provider" "github" {
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github-oidc"
  display_name                       = "GitHub OIDC"
  attribute_mapping = {
    "google.subject"       = "assertion.sub"
    "attribute.repository" = "assertion.repository"
    "attribute.ref"        = "assertion.ref"
  }
  # Only workflows of this repository running for main or a release tag get
  # a token at all; pull requests (refs/pull/...) and forks are refused here.
  attribute_condition = "assertion.repository == \"${var.github_repository}\" && (assertion.ref == \"refs/heads/main\" || assertion.ref.startsWith(\"refs/tags/v\"))"
  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "ci" {
  account_id   = "${local.prefix}-ci"
  display_name = "Heimdex ${var.environment} CI (GitHub Actions)"
  depends_on   = [google_project_service.required]
}

resource "google_service_account_iam_member" "ci_workload_identity" {
  service_account_id = google_service_account.ci.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository/${var.github_repository}"
}

# Push images to this repository only.
resource "google_artifact_registry_repository_iam_member" "ci_push" {
  repository = google_artifact_registry_repository.images.name
  location   = google_artifact_registry_repository.images.location
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.ci.member
}

# Roll out new revisions of these two services and run the migration job.
resource "google_cloud_run_v2_service_iam_member" "ci_deploy" {
  for_each = {
    api    = module.api.name
    worker = module.worker.name
  }
  name     = each.value
  location = var.region
  role     = "roles/run.developer"
  member   = google_service_account.ci.member
}

resource "google_cloud_run_v2_job_iam_member" "ci_migrate" {
  name     = module.migrate.name
  location = var.region
  role     = "roles/run.developer"
  member   = google_service_account.ci.member
}

# A revision runs as its service account; deploying one needs actAs on it.
resource "google_service_account_iam_member" "ci_act_as" {
  for_each           = google_service_account.runtime
  service_account_id = each.value.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.ci.member
}
