# Migrations: a Cloud Run job run once per release, before the new API
# revision takes traffic (`gcloud run jobs execute ... --wait`). It is the only
# process that holds the owner's credentials; it also creates the API's and the
# worker's roles and sets their passwords (database.tf says why).

module "migrate" {
  source = "./modules/cloud_run"

  name                = "${local.prefix}-migrate"
  region              = var.region
  labels              = local.labels
  deletion_protection = var.deletion_protection
  service_account     = google_service_account.runtime["migrate"].email
  network             = google_compute_network.main.id
  subnetwork          = google_compute_subnetwork.run.id
  image               = var.image
  command             = local.commands.migrate
  cpu                 = "1"
  memory              = "512Mi"

  env = local.common_env
  # Its own URL, and the two roles' URLs whose passwords it sets.
  secret_env = {
    MIGRATION_DATABASE_URL = google_secret_manager_secret.database_url["owner"].secret_id
    API_DATABASE_URL       = google_secret_manager_secret.database_url["authenticator"].secret_id
    WORKER_DATABASE_URL    = google_secret_manager_secret.database_url["worker"].secret_id
  }
  secret_files = local.database_ca_files

  job = {
    timeout     = "600s"
    max_retries = 1
  }

  depends_on = [
    google_secret_manager_secret_iam_member.database_url,
    google_secret_manager_secret_iam_member.database_ca,
  ]
}

moved {
  from = google_cloud_run_v2_job.migrate
  to   = module.migrate.google_cloud_run_v2_job.this[0]
}
