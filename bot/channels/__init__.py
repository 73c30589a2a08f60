"""Adapters between platforms and the chat core; they never import `handlers`."""
