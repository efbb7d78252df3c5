# One Heimdex process on Cloud Run: the API and the worker as services, the
# migrations as a job. What they share is written here once: Direct VPC egress
# to private ranges only, a size-limited in-memory /tmp (nothing is written
# elsewhere), secrets by reference only (as variables or mounted files), the
# image's own entrypoint and non-root user (no `command`: Cloud Run has no
# securityContext, so USER 1000:1000 comes from the image), and an image that
# CI rolls out (.github/workflows/build.yml) while Terraform owns the rest.
#
# A service and a job differ in their template's shape, so each has its own
# resource, created when its variable is set.

resource "google_cloud_run_v2_service" "this" {
  count = var.service == null ? 0 : 1

  name                 = var.name
  location             = var.region
  ingress              = var.service.ingress
  invoker_iam_disabled = var.service.invoker_iam_disabled
  default_uri_disabled = var.service.default_uri_disabled
  deletion_protection  = var.deletion_protection
  labels               = var.labels

  template {
    service_account                  = var.service_account
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = var.service.concurrency
    timeout                          = var.service.timeout

    scaling {
      min_instance_count = var.service.min_instances
      max_instance_count = var.service.max_instances
    }

    vpc_access {
      egress = "PRIVATE_RANGES_ONLY"
      network_interfaces {
        network    = var.network
        subnetwork = var.subnetwork
      }
    }

    volumes {
      name = "tmp"
      empty_dir {
        medium     = "MEMORY"
        size_limit = "64Mi"
      }
    }

    dynamic "volumes" {
      for_each = var.secret_files
      content {
        name = volumes.key
        secret {
          secret = volumes.value.secret
          items {
            version = "latest"
            path    = volumes.value.file
          }
        }
      }
    }

    containers {
      image = var.image
      args  = [var.command]

      ports {
        container_port = var.service.port
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        cpu_idle          = var.service.cpu_idle
        startup_cpu_boost = var.service.startup_cpu_boost
      }

      dynamic "env" {
        for_each = var.env
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = var.secret_env
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest"
            }
          }
        }
      }

      volume_mounts {
        name       = "tmp"
        mount_path = "/tmp"
      }

      dynamic "volume_mounts" {
        for_each = var.secret_files
        content {
          name       = volume_mounts.key
          mount_path = volume_mounts.value.dir
        }
      }

      # Probes go to the container port.
      startup_probe {
        http_get {
          path = var.service.liveness_path
        }
        period_seconds    = 2
        timeout_seconds   = 1
        failure_threshold = 15
      }

      liveness_probe {
        http_get {
          path = var.service.liveness_path
        }
        period_seconds    = 15
        timeout_seconds   = 3
        failure_threshold = 3
      }

      dynamic "readiness_probe" {
        for_each = var.service.readiness_path == null ? [] : [var.service.readiness_path]
        content {
          http_get {
            path = readiness_probe.value
          }
          period_seconds    = 10
          timeout_seconds   = 3
          failure_threshold = 3
          success_threshold = 1
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [template[0].containers[0].image, client, client_version]
  }
}

resource "google_cloud_run_v2_job" "this" {
  count = var.job == null ? 0 : 1

  name                = var.name
  location            = var.region
  deletion_protection = var.deletion_protection
  labels              = var.labels

  template {
    task_count = 1

    template {
      service_account       = var.service_account
      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"
      max_retries           = var.job.max_retries
      timeout               = var.job.timeout

      vpc_access {
        egress = "PRIVATE_RANGES_ONLY"
        network_interfaces {
          network    = var.network
          subnetwork = var.subnetwork
        }
      }

      volumes {
        name = "tmp"
        empty_dir {
          medium     = "MEMORY"
          size_limit = "64Mi"
        }
      }

      dynamic "volumes" {
        for_each = var.secret_files
        content {
          name = volumes.key
          secret {
            secret = volumes.value.secret
            items {
              version = "latest"
              path    = volumes.value.file
            }
          }
        }
      }

      containers {
        image = var.image
        args  = [var.command]

        resources {
          limits = {
            cpu    = var.cpu
            memory = var.memory
          }
        }

        dynamic "env" {
          for_each = var.env
          content {
            name  = env.key
            value = env.value
          }
        }

        dynamic "env" {
          for_each = var.secret_env
          content {
            name = env.key
            value_source {
              secret_key_ref {
                secret  = env.value
                version = "latest"
              }
            }
          }
        }

        volume_mounts {
          name       = "tmp"
          mount_path = "/tmp"
        }

        dynamic "volume_mounts" {
          for_each = var.secret_files
          content {
            name       = volume_mounts.key
            mount_path = volume_mounts.value.dir
          }
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [template[0].template[0].containers[0].image, client, client_version]
  }
}
