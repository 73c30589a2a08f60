"""kinerja-bot service: the chat core, its channels and the composition root."""
