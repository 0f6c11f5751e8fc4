fetch("https://evil.example/")
