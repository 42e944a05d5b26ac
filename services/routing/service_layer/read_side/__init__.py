"""The read side of the case API: lists and views for the staff workspace, each read of personal data
logged; nothing here changes state (the commands are in :mod:`services.routing.service_layer.commands`)."""
