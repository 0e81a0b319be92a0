API_V1_PREFIX = "/api/v1"
