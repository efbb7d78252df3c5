# The job worker: no public URL, reachable from inside the project's network
# only, CPU allocated all the time (it polls and runs jobs between requests),
# and at least one instance always up. A Cloud Run service must listen on its
# container port: WORKER_HEALTH_PORT makes the worker serve GET /healthz there
# (worker/healthServer.ts; 503 while it starts, drains or cannot reach the
# database), which the module's probes use.

module "worker" {
  source = "./modules/cloud_run"

  name                = "${local.prefix}-worker"
  region              = var.region
  labels              = local.labels
  deletion_protection = var.deletion_protection
  service_account     = google_service_account.runtime["worker"].email
  network             = google_compute_network.main.id
  subnetwork          = google_compute_subnetwork.run.id
  image               = var.image
  command             = local.commands.worker
  cpu                 = var.worker.cpu
  memory              = var.worker.memory

  env = merge(local.common_env, local.pooler_env, {
    WORKER_CONCURRENCY = tostring(var.worker.concurrency)
    WORKER_HEALTH_PORT = tostring(local.container_port)
  })
  secret_env = merge(
    { WORKER_DATABASE_URL = google_secret_manager_secret.database_url["worker"].secret_id },
    { for role, secret in google_secret_manager_secret.database_url_direct : "DIRECT_DATABASE_URL" => secret.secret_id if role == "worker" },
  )
  secret_files = local.database_ca_files

  service = {
    ingress              = "INGRESS_TRAFFIC_INTERNAL_ONLY"
    default_uri_disabled = true
    concurrency          = 1
    min_instances        = var.worker.min_instances
    max_instances        = var.worker.max_instances
    cpu_idle             = false
    port                 = local.container_port
  }

  depends_on = [
    google_secret_manager_secret_iam_member.database_url,
    google_secret_manager_secret_iam_member.database_ca,
    google_secret_manager_secret_iam_member.database_url_direct,
  ]
}

moved {
  from = google_cloud_run_v2_service.worker
  to   = module.worker.google_cloud_run_v2_service.this[0]
}
