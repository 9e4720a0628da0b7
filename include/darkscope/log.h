/* log.h - leveled logging to stderr, naming the component.
 * The level is tested before any argument is evaluated. */
#ifndef DARKSCOPE_LOG_H
#define DARKSCOPE_LOG_H

enum ds_loglevel { DS_LOG_ERROR, DS_LOG_WARN, DS_LOG_INFO, DS_LOG_DEBUG };

extern int ds_log_level;

void ds__log(enum ds_loglevel lvl, const char *comp, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define DS_LOG(lvl, comp, ...)                               \
	do {                                                 \
		if ((int)(lvl) <= ds_log_level)              \
			ds__log((lvl), (comp), __VA_ARGS__); \
	} while (0)
#define DS_ERR(comp, ...)   DS_LOG(DS_LOG_ERROR, comp, __VA_ARGS__)
#define DS_WARN(comp, ...)  DS_LOG(DS_LOG_WARN, comp, __VA_ARGS__)
#define DS_INFO(comp, ...)  DS_LOG(DS_LOG_INFO, comp, __VA_ARGS__)
#define DS_DEBUG(comp, ...) DS_LOG(DS_LOG_DEBUG, comp, __VA_ARGS__)

#endif
