# One image recipe for the four NestJS services: `--build-arg SERVICE=gateway|capture|recognizer|matcher`.
# Build context: the repository root.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json nx.json tsconfig.base.json ./
COPY libs ./libs
COPY services ./services
COPY apps ./apps
RUN npm ci --no-audit --no-fund && npx nx run-many -t build && npm prune --omit=dev

FROM node:20-bookworm-slim
ARG SERVICE
ENV NODE_ENV=production SERVICE=${SERVICE}
# ffmpeg is only needed by capture; small enough to keep the recipe single.
RUN if [ "$SERVICE" = "capture" ]; then apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*; fi
WORKDIR /app
COPY --from=build /app /app
USER node
CMD ["sh", "-c", "exec node --enable-source-maps services/${SERVICE}/dist/main.js"]
