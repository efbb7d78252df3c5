output "name" {
  value = one(concat(google_cloud_run_v2_service.this[*].name, google_cloud_run_v2_job.this[*].name))
}

output "uri" {
  description = "The service's URL (null for a job)."
  value       = one(google_cloud_run_v2_service.this[*].uri)
}
