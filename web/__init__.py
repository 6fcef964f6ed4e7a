"""The review team's web app: accounts, the screening queue, record pages (server-rendered, no build step)."""
