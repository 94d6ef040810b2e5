# The tokengate signer: the only process that holds the signing secret.
#
#   docker build -t tokengate-signer .          (docker-compose.yml builds it for you)
#
# The secret is never in the image (.dockerignore drops secrets/): it arrives at run time as
# the Docker secret /run/secrets/jwt_secret. Without it the signer refuses to start, because
# a node user cannot create a secret file under /run/secrets.
#
# Debian slim, not alpine: @node-rs/argon2 ships prebuilt glibc binaries, and both stages use
# the same image so the native binaries npm picks match the runtime.

FROM node:26-slim AS build
WORKDIR /app
# No package has an install script; --ignore-scripts keeps it that way.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:26-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# --chmod: the node user must read package.json ("type": "module") whatever the host umask.
COPY --chmod=0644 package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src

# Inside a container the signer must listen on every interface to be reachable from nginx;
# only the compose network can reach it, since no port is published.
ENV SIGNER_HOST=0.0.0.0 \
    SIGNER_PORT=9000 \
    JWT_SECRET_FILE=/run/secrets/jwt_secret

# The code stays root-owned and read-only to the process.
USER node
EXPOSE 9000

# Slim images have no curl; Node's fetch does the probe.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SIGNER_PORT||9000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

CMD ["node", "dist/src/index.js"]
