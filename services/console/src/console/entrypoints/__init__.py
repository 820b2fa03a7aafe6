"""The console's web pages: thin routes that call the services and render templates."""
