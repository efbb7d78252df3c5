# The GraphQL API. Reachable only through an internal Application Load
# Balancer (the serverless NEG below); the platform's load balancer adds TLS,
# WAF and rate limits. Callers authenticate with JWTs, which the API verifies,
# so Cloud Run's own IAM check on invocations is off.
#
# Cloud Run has no securityContext: run-as-non-root comes from the image
# (USER 1000:1000, never overridden here: no `command`), and the root
# filesystem cannot be made read-only. Nothing is written outside /tmp, which
# is a size-limited in-memory volume.

resource "google_cloud_run_v2_service" "api" {
  name                 = "${local.prefix}-api"
  location             = var.region
  ingress              = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
  invoker_iam_disabled = true
  deletion_protection  = var.deletion_protection
  labels               = local.labels

  template {
    service_account                  = google_service_account.runtime["api"].email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = var.api.concurrency
    timeout                          = "30s"

    scaling {
      min_instance_count = var.api.min_instances
      max_instance_count = var.api.max_instances
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

    dynamic "volumes" {
      for_each = local.persisted_operations_mounts
      content {
        name = volumes.value
        secret {
          secret = google_secret_manager_secret.persisted_operations.secret_id
          items {
            version = "latest"
            path    = local.persisted_operations_file
          }
        }
      }
    }

    containers {
      image = var.image
      args  = [local.commands.api]

      ports {
        container_port = local.container_port
      }

      resources {
        limits = {
          cpu    = var.api.cpu
          memory = var.api.memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.common_env
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.persisted_operations_env
        content {
          name  = env.key
          value = env.value
        }
      }

      # Cloud Run's front end appends the client's address to X-Forwarded-For:
      # the budget of failed token verifications is kept per that address.
      env {
        name  = "TRUSTED_PROXY_HOPS"
        value = "1"
      }

      env {
        name = "API_DATABASE_URL"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.database_url["authenticator"].secret_id
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

      dynamic "volume_mounts" {
        for_each = local.persisted_operations_mounts
        content {
          name       = volume_mounts.value
          mount_path = local.persisted_operations_dir
        }
      }

      # Liveness never touches the database; readiness does (and checks that
      # migrations are current), so a revision takes traffic only when it can serve.
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

      readiness_probe {
        http_get {
          path = "/readyz"
        }
        period_seconds    = 10
        timeout_seconds   = 3
        failure_threshold = 3
        success_threshold = 1
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
    google_secret_manager_secret_iam_member.persisted_operations,
  ]
}

# The hook for the internal Application Load Balancer's backend service.
resource "google_compute_region_network_endpoint_group" "api" {
  name                  = "${local.prefix}-api"
  region                = var.region
  network_endpoint_type = "SERVERLESS"
  cloud_run {
    service = google_cloud_run_v2_service.api.name
  }
}
