output "api_url" {
  description = "The API's run.app URL; its ingress admits only the internal load balancer."
  value       = module.api.uri
}

output "api_network_endpoint_group" {
  description = "Serverless NEG to put behind the internal Application Load Balancer."
  value       = google_compute_region_network_endpoint_group.api.id
}

output "worker_service" {
  description = "The worker service's name (it has no URL)."
  value       = module.worker.name
}

output "migrate_job" {
  description = "Run before each rollout: gcloud run jobs execute <name> --region <region> --wait"
  value       = module.migrate.name
}

output "artifact_registry" {
  description = "Where CI pushes images."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "workload_identity_provider" {
  description = "For google-github-actions/auth (workload_identity_provider)."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "ci_service_account" {
  description = "For google-github-actions/auth (service_account)."
  value       = google_service_account.ci.email
}

output "database_instance" {
  description = "Cloud SQL instance connection name, for a DBA's Cloud SQL Auth Proxy session."
  value       = google_sql_database_instance.main.connection_name
}
