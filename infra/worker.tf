# The job worker: no public URL, reachable from inside the project's network
# only, CPU allocated all the time (it polls and runs jobs between requests),
# and at least one instance always up. A Cloud Run service must listen on its
# container port: WORKER_HEALTH_PORT makes the worker serve GET /healthz there
# (worker/healthServer.ts; 503 while it starts, drains or cannot reach the
# database), which the probes below use.

resource "google_cloud_run_v2_service" "worker" {
  name                 = "${local.prefix}-worker"
  location             = var.region
  ingress              = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  default_uri_disabled = true
  deletion_protection  = var.deletion_protection
  labels               = local.labels

  template {
    service_account                  = google_service_account.runtime["worker"].email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = 1

    scaling {
      min_instance_count = var.worker.min_instances
      max_instance_count = var.worker.max_instances
    }

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
      args  = [local.commands.worker]

      ports {
        container_port = local.container_port
      }

      resources {
        limits = {
          cpu    = var.worker.cpu
          memory = var.worker.memory
        }
        cpu_idle = false
      }

      dynamic "env" {
        for_each = merge(local.common_env, {
          WORKER_CONCURRENCY = tostring(var.worker.concurrency)
          WORKER_HEALTH_PORT = tostring(local.container_port)
        })
        content {
          name  = env.key
          value = env.value
        }
      }

      env {
        name = "WORKER_DATABASE_URL"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.database_url["worker"].secret_id
            version = "latest"
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

      startup_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 2
        timeout_seconds   = 1
        failure_threshold = 15
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 15
        timeout_seconds   = 3
        failure_threshold = 3
      }
    }
  }

  # CI rolls out each release's image (.github/workflows/build.yml); Terraform
  # sets the first one and owns everything else.
  lifecycle {
    ignore_changes = [template[0].containers[0].image, client, client_version]
  }

  depends_on = [
    google_secret_manager_secret_iam_member.database_url,
    google_secret_manager_secret_iam_member.database_ca,
  ]
}
