"""The WhatsApp Cloud API channel: Graph API client, webhook parsing, rendering, sender."""
