"""Channels: the HTTP and e-mail interfaces, thin adapters over ``Sending.submit``."""
