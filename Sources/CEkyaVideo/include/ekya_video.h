// A small C interface over FFmpeg (libavformat, libavcodec, libswscale) for Ekya's video sources:
// open a file or URL, decode frame by frame, convert to the size and pixel format the models need.
#ifndef EKYA_VIDEO_H
#define EKYA_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ekv_reader ekv_reader;

typedef struct {
    int width;
    int height;
    /// Frames per second from the container (average frame rate), or 0 when unknown.
    double fps;
    /// Frames the container declares, or 0 when unknown (live sources, some containers).
    int64_t frame_count;
    /// Seconds, or 0 when unknown.
    double duration;
    /// 1 for a network source (its reads can stall), 0 for a file.
    int is_network;
    char codec[32];
    char format[32];
} ekv_info;

/// Opens `url` (a path or any URL libavformat opens) and its best video stream. `timeout_seconds` bounds
/// the open and each later read (a stalled source fails instead of blocking). `threads` decoder threads
/// (0: FFmpeg's choice). Returns 0 and sets `*out`, or a negative value with a message in `error`.
int ekv_open(const char *url, double timeout_seconds, int threads, ekv_reader **out, char *error, size_t error_size);

void ekv_get_info(const ekv_reader *reader, ekv_info *info);

/// Decodes the next frame. With `pixels` non-null the frame is converted (bilinear) to
/// `width` × `height` with `channels` 1 (grey) or 3 (RGB, interleaved) into `pixels`; with `pixels` null it
/// is only decoded. `timestamp` receives its presentation time in seconds from the first frame.
/// Returns 1 for a frame, 0 at the end of the source, a negative value on error (message in `error`).
int ekv_next(ekv_reader *reader, int width, int height, int channels, uint8_t *pixels, double *timestamp,
             char *error, size_t error_size);

void ekv_close(ekv_reader *reader);

#ifdef __cplusplus
}
#endif

#endif
