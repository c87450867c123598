"""No models: present so post_migrate fires for this app and its migrations run."""
