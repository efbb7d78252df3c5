# A private network: Cloud SQL has no public IP, and Cloud Run reaches it by
# Direct VPC egress. Internet-bound traffic (the JWKS fetch) leaves as usual.

resource "google_compute_network" "main" {
  name                    = local.prefix
  auto_create_subnetworks = false
  depends_on              = [google_project_service.required]
}

resource "google_compute_subnetwork" "run" {
  name                     = "${local.prefix}-run"
  network                  = google_compute_network.main.id
  region                   = var.region
  ip_cidr_range            = "10.10.0.0/24"
  private_ip_google_access = true
}

# Private services access: the address range Cloud SQL's private IP comes from.
resource "google_compute_global_address" "sql_private_range" {
  name          = "${local.prefix}-sql"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 20
  network       = google_compute_network.main.id
}

resource "google_service_networking_connection" "sql" {
  network                 = google_compute_network.main.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.sql_private_range.name]
}
