"""The unattended organizer service: the worker loop, the service's heartbeat, the public queue snapshot."""
