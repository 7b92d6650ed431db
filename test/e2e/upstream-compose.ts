/**
 * getlago/lago's root docker-compose.yml, the services a first start of Lago needs (db, redis, migrate,
 * api), images from the stack's registry: what test/e2e/adopt*.test.ts install the way upstream's docs do.
 * Its db image was `postgres:14-alpine` until 97d1f0b (January 2026), `getlago/postgres-partman:15.0-alpine`
 * since (`dbImage`, a path in the registry); the rest of the services the same.
 */
export function upstreamCompose(registry: string, dbImage = "getlago/postgres-partman:15.0-alpine"): string {
  return `volumes:
  lago_postgres_data:
  lago_redis_data:
  lago_storage_data:

x-backend-environment: &backend-env
  "DATABASE_URL": postgresql://\${POSTGRES_USER:-lago}:\${POSTGRES_PASSWORD:-changeme}@\${POSTGRES_HOST:-db}:\${POSTGRES_PORT:-5432}/\${POSTGRES_DB:-lago}?search_path=\${POSTGRES_SCHEMA:-public}
  "REDIS_URL": redis://\${REDIS_HOST:-redis}:\${REDIS_PORT:-6379}
  "REDIS_PASSWORD": \${REDIS_PASSWORD:-}
  "SECRET_KEY_BASE": \${SECRET_KEY_BASE:-your-secret-key-base-hex-64}
  "RAILS_ENV": production
  "LAGO_RSA_PRIVATE_KEY": \${LAGO_RSA_PRIVATE_KEY}
  "LAGO_ENCRYPTION_PRIMARY_KEY": \${LAGO_ENCRYPTION_PRIMARY_KEY:-your-encryption-primary-key}
  "LAGO_ENCRYPTION_DETERMINISTIC_KEY": \${LAGO_ENCRYPTION_DETERMINISTIC_KEY:-your-encryption-deterministic-key}
  "LAGO_ENCRYPTION_KEY_DERIVATION_SALT": \${LAGO_ENCRYPTION_KEY_DERIVATION_SALT:-your-encryption-derivation-salt}
  "LAGO_API_URL": \${LAGO_API_URL:-http://localhost:3000}
  "LAGO_FRONT_URL": \${LAGO_FRONT_URL:-http://localhost}
  "LAGO_PDF_URL": \${LAGO_PDF_URL:-http://pdf:3000}
  "LAGO_DISABLE_SIGNUP": \${LAGO_DISABLE_SIGNUP:-false}

services:
  db:
    image: ${registry}/${dbImage}
    container_name: lago-db
    restart: unless-stopped
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U \${POSTGRES_USER:-lago} -d \${POSTGRES_DB:-lago} -h localhost -p \${POSTGRES_PORT:-5432}"]
      interval: 2s
      timeout: 5s
      retries: 30
    environment:
      POSTGRES_DB: \${POSTGRES_DB:-lago}
      POSTGRES_USER: \${POSTGRES_USER:-lago}
      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD:-changeme}
      PGDATA: /data/postgres
      PGPORT: \${POSTGRES_PORT:-5432}
      POSTGRES_SCHEMA: public
    volumes:
      - lago_postgres_data:/data/postgres

  redis:
    image: ${registry}/redis:7-alpine
    container_name: lago-redis
    restart: unless-stopped
    command: --port \${REDIS_PORT:-6379}
    volumes:
      - lago_redis_data:/data

  migrate:
    image: ${registry}/getlago/api:v1.50.0
    container_name: lago-migrate
    depends_on:
      db:
        condition: service_healthy
    command: ["./scripts/migrate.sh"]
    environment:
      <<: *backend-env

  api:
    image: ${registry}/getlago/api:v1.50.0
    container_name: lago-api
    restart: unless-stopped
    depends_on:
      migrate:
        condition: service_completed_successfully
      db:
        condition: service_healthy
    command: ["./scripts/start.api.sh"]
    environment:
      <<: *backend-env
    volumes:
      - lago_storage_data:/app/storage
`;
}
