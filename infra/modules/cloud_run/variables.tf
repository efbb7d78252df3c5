variable "name" {
  description = "The Cloud Run service or job name."
  type        = string
}

variable "region" {
  type = string
}

variable "labels" {
  type = map(string)
}

variable "deletion_protection" {
  type = bool
}

variable "service_account" {
  description = "The runtime identity's email: one per process, with only its own secrets."
  type        = string
}

variable "network" {
  description = "VPC network id for Direct VPC egress (private ranges only)."
  type        = string
}

variable "subnetwork" {
  type = string
}

variable "image" {
  description = "The image; CI rolls out later ones, so changes to it are ignored."
  type        = string
}

variable "command" {
  description = "The script the image's entrypoint (node) runs, e.g. dist/server/bin/api.js. The image's entrypoint and user are never overridden."
  type        = string
}

variable "cpu" {
  type = string
}

variable "memory" {
  type = string
}

variable "env" {
  description = "Plain settings. Nothing secret: credentials go in secret_env (test/delivery/terraform.test.ts checks the names)."
  type        = map(string)
  default     = {}
}

variable "secret_env" {
  description = "Settings read from Secret Manager at start: variable name => secret id (its latest version)."
  type        = map(string)
  default     = {}
}

variable "secret_files" {
  description = "Secrets mounted as files: volume name => the secret, its file name, and the folder it is mounted in."
  type = map(object({
    secret = string
    file   = string
    dir    = string
  }))
  default = {}
}

variable "service" {
  description = "Set for a service (a long-running process behind a port); null for a job."
  type = object({
    ingress              = string
    invoker_iam_disabled = optional(bool, false)
    default_uri_disabled = optional(bool, false)
    concurrency          = number
    timeout              = optional(string)
    min_instances        = number
    max_instances        = number
    cpu_idle             = bool
    startup_cpu_boost    = optional(bool, false)
    port                 = number
    # /healthz never touches the database; a readiness path may.
    liveness_path  = optional(string, "/healthz")
    readiness_path = optional(string)
  })
  default = null
}

variable "job" {
  description = "Set for a job (run to completion, e.g. migrations); null for a service."
  type = object({
    timeout     = string
    max_retries = number
  })
  default = null

  validation {
    condition     = (var.job == null) != (var.service == null)
    error_message = "Set exactly one of service and job."
  }
}
