# The GraphQL API. Reachable only through an internal Application Load
# Balancer (the serverless NEG below); the platform's load balancer adds TLS,
# WAF and rate limits. Callers authenticate with JWTs, which the API verifies,
# so Cloud Run's own IAM check on invocations is off. What every process
# shares (private egress, in-memory /tmp, secrets by reference, the image's
# own entrypoint and user) is in modules/cloud_run.

module "api" {
  source = "./modules/cloud_run"

  name                = "${local.prefix}-api"
  region              = var.region
  labels              = local.labels
  deletion_protection = var.deletion_protection
  service_account     = google_service_account.runtime["api"].email
  network             = google_compute_network.main.id
  subnetwork          = google_compute_subnetwork.run.id
  image               = var.image
  command             = local.commands.api
  cpu                 = var.api.cpu
  memory              = var.api.memory

  # Cloud Run's front end appends the client's address to X-Forwarded-For:
  # the budget of failed token verifications is kept per that address.
  env = merge(local.common_env, local.persisted_operations_env, local.pooler_env, { TRUSTED_PROXY_HOPS = "1" })
  secret_env = merge(
    { API_DATABASE_URL = google_secret_manager_secret.database_url["authenticator"].secret_id },
    { for role, secret in google_secret_manager_secret.database_url_direct : "DIRECT_DATABASE_URL" => secret.secret_id if role == "authenticator" },
  )
  secret_files = merge(local.database_ca_files, local.persisted_operations_files)

  service = {
    ingress              = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    invoker_iam_disabled = true
    concurrency          = var.api.concurrency
    timeout              = "30s"
    min_instances        = var.api.min_instances
    max_instances        = var.api.max_instances
    cpu_idle             = true
    startup_cpu_boost    = true
    port                 = local.container_port
    # Liveness never touches the database; readiness does (and checks that
    # migrations are current), so a revision takes traffic only when it can serve.
    readiness_path = "/readyz"
  }

  depends_on = [
    google_secret_manager_secret_iam_member.database_url,
    google_secret_manager_secret_iam_member.database_ca,
    google_secret_manager_secret_iam_member.database_url_direct,
    google_secret_manager_secret_iam_member.persisted_operations,
  ]
}

# The service was a resource of the root module before modules/cloud_run.
moved {
  from = google_cloud_run_v2_service.api
  to   = module.api.google_cloud_run_v2_service.this[0]
}

# The hook for the internal Application Load Balancer's backend service.
resource "google_compute_region_network_endpoint_group" "api" {
  name                  = "${local.prefix}-api"
  region                = var.region
  network_endpoint_type = "SERVERLESS"
  cloud_run {
    service = module.api.name
  }
}
