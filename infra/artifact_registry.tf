resource "google_artifact_registry_repository" "images" {
  repository_id = local.prefix
  location      = var.region
  format        = "DOCKER"
  description   = "Heimdex images (${var.environment}); tags are immutable, deploys use digests."
  labels        = local.labels
  docker_config {
    immutable_tags = true
  }
  depends_on = [google_project_service.required]
}
