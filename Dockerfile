# syntax=docker/dockerfile:1
# Hourglass: build with the toolchain, run without it.
#   docker build -t hourglass .
#   docker run -p 8080:8080 -v hourglass-data:/app/data hourglass

# ---- builder: compiles better-sqlite3 (native) and the TypeScript ------------------------------
FROM node:20-bookworm-slim AS builder
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, so source edits do not invalidate this layer.
COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY migrations ./migrations
COPY scripts ./scripts
COPY src ./src
# The CLI (dist/cli.js) is bundled with the client's source.
COPY client/src ./client/src
RUN npm run build \
 && npm prune --omit=dev

# ---- runtime ----------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0
WORKDIR /app

# Same layout as the repository: dist/bundle/main.js (and dist/store/sqlite.js) read
# ../../migrations/sqlite/, i.e. /app/migrations/sqlite/.
# Code stays root-owned (read-only to the app); only the data folder belongs to the runtime user.
COPY --from=builder /app/node_modules ./node_modules
COPY --from=builder /app/dist ./dist
COPY --from=builder /app/migrations ./migrations
COPY --from=builder /app/package.json ./
RUN mkdir -p /app/data && chown node:node /app/data

USER node
# DATABASE_URL defaults to ./data/hourglass.db, i.e. /app/data/hourglass.db.
VOLUME /app/data
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "dist/bundle/main.js"]
