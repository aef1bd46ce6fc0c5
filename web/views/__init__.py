"""The HTML pages, one module per audience: public, chat, account, staff, console, admin."""
