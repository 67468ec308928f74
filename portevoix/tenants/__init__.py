"""Who is who: the platform, resellers, customers, domain groups, users, API keys, options."""
