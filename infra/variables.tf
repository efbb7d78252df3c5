variable "project_id" {
  description = "Google Cloud project that holds this environment."
  type        = string
}

variable "region" {
  description = "Region for Cloud Run, Cloud SQL, Artifact Registry and the network."
  type        = string
  default     = "europe-west1"
}

variable "environment" {
  description = "Deployment environment; becomes HEIMDEX_ENV and part of every resource name."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "image" {
  description = "Container image to run, by digest: REGION-docker.pkg.dev/PROJECT/REPO/heimdex@sha256:..."
  type        = string
  validation {
    condition     = can(regex("@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must be pinned by digest (…@sha256:<64 hex>), never by a moving tag."
  }
}

variable "auth_provider" {
  description = "How the API verifies tokens. Only jwks (RS256/ES256 from jwks_url): dev is for local mode alone."
  type        = string
  default     = "jwks"
  validation {
    condition     = var.auth_provider == "jwks"
    error_message = "auth_provider must be \"jwks\". \"dev\" (HS256 with a shared secret) is refused by the application unless HEIMDEX_ENV=local, and no deployed environment (dev, staging, prod) is local: use a test tenant of your identity provider instead."
  }
}

variable "jwks_url" {
  description = "JWKS endpoint of the identity provider (https)."
  type        = string
  validation {
    condition     = startswith(var.jwks_url, "https://")
    error_message = "jwks_url must be an https:// URL."
  }
}

variable "auth_issuer" {
  description = "Expected `iss` of access tokens."
  type        = string
  validation {
    condition     = var.auth_issuer != ""
    error_message = "auth_issuer must not be empty."
  }
}

variable "auth_audience" {
  description = "Expected `aud` of access tokens."
  type        = string
  validation {
    condition     = var.auth_audience != ""
    error_message = "auth_audience must not be empty."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of every process."
  type        = string
  default     = "info"
  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "log_level must be a pino level."
  }
}

variable "api" {
  description = "API service sizing: requests per instance, CPU, memory, instance bounds."
  type = object({
    concurrency   = optional(number, 80)
    cpu           = optional(string, "1")
    memory        = optional(string, "512Mi")
    min_instances = optional(number, 0)
    max_instances = optional(number, 10)
  })
  default = {}
  validation {
    condition     = var.api.concurrency >= 1 && var.api.concurrency <= 1000
    error_message = "api.concurrency must be between 1 and 1000."
  }
  validation {
    condition     = var.api.min_instances >= 0 && var.api.max_instances >= max(1, var.api.min_instances)
    error_message = "api needs 0 <= min_instances <= max_instances and max_instances >= 1."
  }
}

variable "worker" {
  description = "Worker service sizing: jobs run at once per instance, CPU, memory, instance bounds."
  type = object({
    concurrency   = optional(number, 4)
    cpu           = optional(string, "1")
    memory        = optional(string, "512Mi")
    min_instances = optional(number, 1)
    max_instances = optional(number, 3)
  })
  default = {}
  validation {
    condition     = var.worker.concurrency >= 1
    error_message = "worker.concurrency must be at least 1."
  }
  validation {
    condition     = var.worker.min_instances >= 1 && var.worker.max_instances >= var.worker.min_instances
    error_message = "worker needs 1 <= min_instances <= max_instances: nothing else wakes it up."
  }
}

variable "database" {
  description = "Cloud SQL for PostgreSQL: major version, machine tier, disk size in GB."
  type = object({
    version = optional(string, "POSTGRES_17")
    tier    = optional(string, "db-custom-2-7680")
    disk_gb = optional(number, 20)
  })
  default = {}
  validation {
    condition     = contains(["POSTGRES_15", "POSTGRES_16", "POSTGRES_17", "POSTGRES_18"], var.database.version)
    error_message = "database.version must be POSTGRES_15 to POSTGRES_18 (the majors CI tests)."
  }
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflows may deploy (Workload Identity Federation)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like owner/name."
  }
}

variable "deletion_protection" {
  description = "Protect the database and the services from `terraform destroy`."
  type        = bool
  default     = true
}

variable "persisted_operations" {
  description = "off: clients send documents as text. accept: the API also answers the hashes in the persisted-operations manifest (the secret <prefix>-persisted-operations, latest version). only: it runs nothing but the manifest's operations (PERSISTED_OPERATIONS_ONLY). Add the manifest as a version of that secret before turning it on (infra/README.md)."
  type        = string
  default     = "off"
  validation {
    condition     = contains(["off", "accept", "only"], var.persisted_operations)
    error_message = "persisted_operations must be off, accept or only."
  }
}

variable "pooler" {
  description = "none: every process connects to PostgreSQL directly. managed: Cloud SQL Managed Connection Pooling (Enterprise Plus) in transaction mode; the API and the worker connect through it (port 6432, DB_POOLER=transaction) and keep one direct URL each for session state (LISTEN); migrations stay direct."
  type        = string
  default     = "none"
  validation {
    condition     = contains(["none", "managed"], var.pooler)
    error_message = "pooler must be none or managed."
  }
  validation {
    condition     = var.pooler != "managed" || startswith(var.database.tier, "db-perf-optimized-")
    error_message = "pooler = managed needs Cloud SQL Enterprise Plus: set database.tier to a db-perf-optimized-N-* machine."
  }
}
