# Build a static binary, then run it as a non-root user on a minimal image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/shiftleft ./cmd/shiftleft

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/shiftleft /usr/local/bin/shiftleft
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/shiftleft"]
