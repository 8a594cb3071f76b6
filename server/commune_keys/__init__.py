"""The commune's reading key for tips (issue 11): phones seal every tip's text to its public half; only the
commune's officers, who hold the passphrase, open it in the console. The server keeps the private half wrapped
twice (by that passphrase, and to the province's recovery key) and can open neither."""
