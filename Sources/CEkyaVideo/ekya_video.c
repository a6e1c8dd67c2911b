#include "ekya_video.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct ekv_reader {
    AVFormatContext *format;
    AVCodecContext *codec;
    AVPacket *packet;
    AVFrame *frame;
    struct SwsContext *scaler;
    int stream_index;
    double timeout_seconds;
    double deadline;
    int draining;
    int finished;
    int64_t first_pts;
    int64_t frames_out;
    ekv_info info;
};

static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int interrupted(void *opaque) {
    const struct ekv_reader *reader = opaque;
    return reader->deadline > 0 && monotonic_seconds() > reader->deadline;
}

static void arm(struct ekv_reader *reader) {
    reader->deadline = reader->timeout_seconds > 0 ? monotonic_seconds() + reader->timeout_seconds : 0;
}

static void describe(int code, const char *what, const struct ekv_reader *reader, char *error, size_t size) {
    if (!error || size == 0) return;
    char reason[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(code, reason, sizeof reason);
    if (reader && interrupted((void *)reader))
        snprintf(error, size, "%s: no data for %.1f s (timed out)", what, reader->timeout_seconds);
    else
        snprintf(error, size, "%s: %s", what, reason);
}

void ekv_close(ekv_reader *reader) {
    if (!reader) return;
    sws_freeContext(reader->scaler);
    av_frame_free(&reader->frame);
    av_packet_free(&reader->packet);
    avcodec_free_context(&reader->codec);
    avformat_close_input(&reader->format);
    av_free(reader);
}

int ekv_open(const char *url, double timeout_seconds, int threads, ekv_reader **out, char *error, size_t error_size) {
    *out = NULL;
    av_log_set_level(AV_LOG_QUIET);
    struct ekv_reader *reader = av_mallocz(sizeof *reader);
    if (!reader) {
        snprintf(error, error_size, "out of memory");
        return AVERROR(ENOMEM);
    }
    reader->timeout_seconds = timeout_seconds;
    reader->first_pts = AV_NOPTS_VALUE;
    reader->format = avformat_alloc_context();
    if (!reader->format) {
        ekv_close(reader);
        snprintf(error, error_size, "out of memory");
        return AVERROR(ENOMEM);
    }
    reader->format->interrupt_callback.callback = interrupted;
    reader->format->interrupt_callback.opaque = reader;
    AVDictionary *options = NULL;
    if (timeout_seconds > 0) {
        char microseconds[32];
        snprintf(microseconds, sizeof microseconds, "%lld", (long long)(timeout_seconds * 1e6));
        av_dict_set(&options, "rw_timeout", microseconds, 0);
        av_dict_set(&options, "timeout", microseconds, 0);
    }
    int is_network = strstr(url, "://") != NULL;
    if (is_network) {
        /* A live source arrives in real time: probe 1 s of it, not the default 5 s. */
        av_dict_set(&options, "analyzeduration", "1000000", 0);
        av_dict_set(&options, "probesize", "1000000", 0);
    }
    arm(reader);
    int code = avformat_open_input(&reader->format, url, NULL, &options);
    av_dict_free(&options);
    if (code < 0) {
        describe(code, "cannot open the source", reader, error, error_size);
        reader->format = NULL;
        ekv_close(reader);
        return code;
    }
    /* Probing reads up to the analysed duration of real-time data before the timeout applies. */
    reader->deadline = reader->timeout_seconds > 0 ? monotonic_seconds() + reader->timeout_seconds + (is_network ? 2 : 0) : 0;
    code = avformat_find_stream_info(reader->format, NULL);
    if (code < 0) {
        describe(code, "cannot read the source's streams", reader, error, error_size);
        ekv_close(reader);
        return code;
    }
    const AVCodec *decoder = NULL;
    code = av_find_best_stream(reader->format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
    if (code < 0) {
        snprintf(error, error_size, code == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video codec"
                                                                      : "the source has no video stream");
        ekv_close(reader);
        return code;
    }
    reader->stream_index = code;
    AVStream *stream = reader->format->streams[code];
    reader->codec = avcodec_alloc_context3(decoder);
    if (!reader->codec || avcodec_parameters_to_context(reader->codec, stream->codecpar) < 0) {
        snprintf(error, error_size, "cannot set up the decoder");
        ekv_close(reader);
        return AVERROR(EINVAL);
    }
    reader->codec->thread_count = threads;
    code = avcodec_open2(reader->codec, decoder, NULL);
    if (code < 0) {
        describe(code, "cannot open the decoder", reader, error, error_size);
        ekv_close(reader);
        return code;
    }
    reader->packet = av_packet_alloc();
    reader->frame = av_frame_alloc();
    if (!reader->packet || !reader->frame) {
        snprintf(error, error_size, "out of memory");
        ekv_close(reader);
        return AVERROR(ENOMEM);
    }
    ekv_info *info = &reader->info;
    info->width = reader->codec->width;
    info->height = reader->codec->height;
    AVRational rate = stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate : stream->r_frame_rate;
    info->fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
    info->frame_count = stream->nb_frames > 0 ? stream->nb_frames : 0;
    info->duration = reader->format->duration > 0 ? (double)reader->format->duration / AV_TIME_BASE : 0;
    info->is_network = reader->format->iformat && (reader->format->iformat->flags & AVFMT_NOFILE) ? 1 : 0;
    if (reader->format->pb && reader->format->pb->seekable == 0) info->is_network = 1;
    snprintf(info->codec, sizeof info->codec, "%s", decoder->name);
    snprintf(info->format, sizeof info->format, "%s", reader->format->iformat ? reader->format->iformat->name : "");
    if (info->width <= 0 || info->height <= 0) {
        snprintf(error, error_size, "the video stream has no frame size");
        ekv_close(reader);
        return AVERROR_INVALIDDATA;
    }
    *out = reader;
    return 0;
}

void ekv_get_info(const ekv_reader *reader, ekv_info *info) { *info = reader->info; }

static int convert(ekv_reader *reader, int width, int height, int channels, uint8_t *pixels, double *timestamp,
                   char *error, size_t error_size) {
    AVFrame *frame = reader->frame;
    AVStream *stream = reader->format->streams[reader->stream_index];
    int64_t pts = frame->best_effort_timestamp;
    if (pts != AV_NOPTS_VALUE) {
        if (reader->first_pts == AV_NOPTS_VALUE) reader->first_pts = pts;
        *timestamp = (double)(pts - reader->first_pts) * av_q2d(stream->time_base);
    } else {
        *timestamp = reader->info.fps > 0 ? (double)reader->frames_out / reader->info.fps : 0;
    }
    reader->frames_out++;
    if (!pixels) {
        av_frame_unref(frame);
        return 1;
    }
    enum AVPixelFormat target = channels == 3 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_GRAY8;
    reader->scaler = sws_getCachedContext(reader->scaler, frame->width, frame->height, frame->format, width, height,
                                          target, SWS_BILINEAR, NULL, NULL, NULL);
    if (!reader->scaler) {
        snprintf(error, error_size, "cannot convert %dx%d frames to %dx%d", frame->width, frame->height, width,
                 height);
        av_frame_unref(frame);
        return AVERROR(EINVAL);
    }
    uint8_t *planes[4] = {pixels, NULL, NULL, NULL};
    int strides[4] = {width * channels, 0, 0, 0};
    sws_scale(reader->scaler, (const uint8_t *const *)frame->data, frame->linesize, 0, frame->height, planes,
              strides);
    av_frame_unref(frame);
    return 1;
}

int ekv_next(ekv_reader *reader, int width, int height, int channels, uint8_t *pixels, double *timestamp,
             char *error, size_t error_size) {
    if (pixels && (width <= 0 || height <= 0 || (channels != 1 && channels != 3))) {
        snprintf(error, error_size, "invalid output size %dx%dx%d", width, height, channels);
        return AVERROR(EINVAL);
    }
    while (!reader->finished) {
        int code = avcodec_receive_frame(reader->codec, reader->frame);
        if (code == 0) return convert(reader, width, height, channels, pixels, timestamp, error, error_size);
        if (code == AVERROR_EOF) {
            reader->finished = 1;
            break;
        }
        if (code != AVERROR(EAGAIN)) {
            describe(code, "cannot decode a frame", NULL, error, error_size);
            return code;
        }
        if (reader->draining) {
            reader->finished = 1;
            break;
        }
        arm(reader);
        code = av_read_frame(reader->format, reader->packet);
        if (code == AVERROR_EOF) {
            reader->draining = 1;
            avcodec_send_packet(reader->codec, NULL);
            continue;
        }
        if (code < 0) {
            describe(code, "cannot read from the source", reader, error, error_size);
            return code;
        }
        if (reader->packet->stream_index == reader->stream_index) {
            code = avcodec_send_packet(reader->codec, reader->packet);
            // A damaged packet is skipped (the decoder conceals it); other errors end the source.
            if (code < 0 && code != AVERROR_INVALIDDATA && code != AVERROR(EAGAIN)) {
                av_packet_unref(reader->packet);
                describe(code, "cannot decode a packet", NULL, error, error_size);
                return code;
            }
        }
        av_packet_unref(reader->packet);
    }
    return 0;
}
