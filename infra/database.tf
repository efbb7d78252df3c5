# Cloud SQL for PostgreSQL: private IP only, TLS required, backups with
# point-in-time recovery. Each process has its own login role and password.

resource "google_sql_database_instance" "main" {
  name                = local.prefix
  database_version    = var.database.version
  region              = var.region
  deletion_protection = var.deletion_protection
  depends_on          = [google_service_networking_connection.sql]

  settings {
    tier              = var.database.tier
    edition           = var.pooler == "managed" ? "ENTERPRISE_PLUS" : "ENTERPRISE"
    availability_type = var.environment == "prod" ? "REGIONAL" : "ZONAL"
    disk_size         = var.database.disk_gb
    disk_autoresize   = true
    user_labels       = local.labels

    ip_configuration {
      ipv4_enabled    = false
      private_network = google_compute_network.main.id
      ssl_mode        = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }

    database_flags {
      name  = "log_min_duration_statement"
      value = "1000"
    }

    # Managed Connection Pooling: poolers on port 6432, in transaction mode
    # (claims are transaction-local, so a server connection carries nothing
    # from one client's transaction into the next).
    dynamic "connection_pool_config" {
      for_each = var.pooler == "managed" ? [true] : []
      content {
        connection_pooling_enabled = true
        flags {
          name  = "pool_mode"
          value = "transaction"
        }
      }
    }
  }
}

resource "google_sql_database" "heimdex" {
  name     = "heimdex"
  instance = google_sql_database_instance.main.name
}

resource "random_password" "database" {
  for_each = local.database_roles
  length   = 40
  special  = false
}

# Only the owner is a Cloud SQL user. Cloud SQL makes every user it creates a
# member of cloudsqlsuperuser (CREATEROLE, CREATEDB), which the API's
# authenticator and the worker must never be. So `migrate`, run as the owner,
# creates heimdex_authenticator and heimdex_worker itself (sql/roles.sql) and
# sets their passwords from the URLs the migration job is given
# (server/db/migrateDatabase.ts); their passwords are generated above.
resource "google_sql_user" "owner" {
  name     = local.database_roles.owner
  instance = google_sql_database_instance.main.name
  password = random_password.database["owner"].result
}
