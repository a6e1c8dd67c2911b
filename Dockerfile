# The image deploy/kubernetes/ runs: the release build of `ekya` (Swift runtime linked in) on Debian 12 with
# the libraries it links against (libtorch, FFmpeg, OpenCV, SQLite) and the Fashion-MNIST fixture.
#   docker build -t ekya:latest .
#   docker run --rm -p 8080:8080 ekya:latest serve --demo --listen 0.0.0.0:8080
FROM swift:6.2-bookworm AS build
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libtorch-dev libstb-dev zlib1g-dev libsqlite3-dev \
        libavformat-dev libavcodec-dev libswscale-dev libavutil-dev \
        libopencv-objdetect-dev libopencv-imgproc-dev libopencv-core-dev
WORKDIR /src
COPY . .
RUN swift build -c release --product ekya --static-swift-stdlib \
    && bin="$(swift build -c release --show-bin-path)" \
    && mkdir -p /opt/ekya/bin \
    && cp "$bin/ekya" /opt/ekya/bin/ \
    && for bundle in "$bin"/*.resources; do cp -R "$bundle" /opt/ekya/bin/; done

FROM debian:bookworm-slim
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libtorch1.13 libopenblas0 libsqlite3-0 zlib1g libstdc++6 ca-certificates \
        libavformat59 libavcodec59 libswscale6 libavutil57 \
        libopencv-objdetect406 libopencv-imgproc406 libopencv-core406 \
        dataset-fashion-mnist \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/ekya /opt/ekya
RUN useradd --uid 10001 --create-home ekya && mkdir -p /var/lib/ekya && chown ekya /var/lib/ekya
USER 10001
WORKDIR /var/lib/ekya
EXPOSE 8080
ENTRYPOINT ["/opt/ekya/bin/ekya"]
CMD ["serve", "--demo", "--listen", "0.0.0.0:8080", "--data-dir", "/var/lib/ekya"]
