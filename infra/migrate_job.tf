# Migrations: a Cloud Run job run once per release, before the new API
# revision takes traffic (`gcloud run jobs execute ... --wait`). It is the only
# process that holds the owner's credentials; it also creates the API's and the
# worker's roles and sets their passwords (database.tf says why).

resource "google_cloud_run_v2_job" "migrate" {
  name                = "${local.prefix}-migrate"
  location            = var.region
  deletion_protection = var.deletion_protection
  labels              = local.labels

  template {
    task_count = 1

    template {
      service_account       = google_service_account.runtime["migrate"].email
      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"
      max_retries           = 1
      timeout               = "600s"

      vpc_access {
        egress = "PRIVATE_RANGES_ONLY"
        network_interfaces {
          network    = google_compute_network.main.id
          subnetwork = google_compute_subnetwork.run.id
        }
      }

      volumes {
        name = "tmp"
        empty_dir {
          medium     = "MEMORY"
          size_limit = "64Mi"
        }
      }

      volumes {
        name = "database-ca"
        secret {
          secret = google_secret_manager_secret.database_ca.secret_id
          items {
            version = "latest"
            path    = local.database_ca_file
          }
        }
      }

      containers {
        image = var.image
        args  = [local.commands.migrate]

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }

        dynamic "env" {
          for_each = local.common_env
          content {
            name  = env.key
            value = env.value
          }
        }

        # Its own URL, and the two roles' URLs whose passwords it sets.
        dynamic "env" {
          for_each = {
            MIGRATION_DATABASE_URL = "owner"
            API_DATABASE_URL       = "authenticator"
            WORKER_DATABASE_URL    = "worker"
          }
          content {
            name = env.key
            value_source {
              secret_key_ref {
                secret  = google_secret_manager_secret.database_url[env.value].secret_id
                version = "latest"
              }
            }
          }
        }

        volume_mounts {
          name       = "tmp"
          mount_path = "/tmp"
        }

        volume_mounts {
          name       = "database-ca"
          mount_path = local.database_ca_dir
        }
      }
    }
  }

  # CI rolls out each release's image (.github/workflows/build.yml); Terraform
  # sets the first one and owns everything else.
  lifecycle {
    ignore_changes = [template[0].template[0].containers[0].image, client, client_version]
  }

  depends_on = [
    google_secret_manager_secret_iam_member.database_url,
    google_secret_manager_secret_iam_member.database_ca,
  ]
}
