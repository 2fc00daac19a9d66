# ledgerflow worker and API image (docker-compose.yml, docs/deployment.md).
# Node version: the engines range of package.json (>= 20.19).
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
# A C compiler for the native verifier (ledger/native/*.c, built by npm run build into
# dist/native; without it verification runs in TypeScript with node:crypto, 2-3x more CPU an event).
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# No scripts yet: "prepare" builds dist/ from the sources, which are copied next.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# Typecheck everything, then compile dist/ (the bin runs it; it refuses a dist/ older than the sources).
RUN npx tsc -p tsconfig.json && npm run build

FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only: no dev tools, no install scripts, and no embedded PostgreSQL
# (an optional dependency for the embedded defaults; production uses a real server).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/bin ./bin
COPY --from=build /app/activities ./activities
COPY --from=build /app/api ./api
COPY --from=build /app/client ./client
COPY --from=build /app/contracts ./contracts
COPY --from=build /app/core ./core
COPY --from=build /app/db ./db
COPY --from=build /app/ledger ./ledger
COPY --from=build /app/providers ./providers
COPY --from=build /app/runtime ./runtime
COPY --from=build /app/services ./services
COPY --from=build /app/simulators ./simulators
COPY --from=build /app/worker ./worker
COPY --from=build /app/workflows ./workflows
COPY --from=build /app/tsconfig.json ./
# COPY keeps the build stage's modification times: dist/.build-stamp stays newer than the sources.
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=5s --retries=5 \
  CMD node -e "const p=process.env.LEDGERFLOW_WORKER_HTTP_PORT||8080; fetch('http://127.0.0.1:'+p+'/health').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/ledgerflow.cjs"]
CMD ["worker"]
