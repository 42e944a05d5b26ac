"""The commands of the case API: each changes state and commits it with its outbox events in one
transaction; the reads are in :mod:`services.routing.service_layer.read_side`."""
