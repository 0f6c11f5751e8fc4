"""Private circles: their keys and sealed pages, sealing their files, rotating keys, share links."""
