/** Internals of the record log and journal; not API. */
package dev.understudy.transport.internal.log;
