"""Files the bot produces for people: spreadsheets now; charts and QR posters later."""
