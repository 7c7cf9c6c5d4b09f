mod admin_api;
