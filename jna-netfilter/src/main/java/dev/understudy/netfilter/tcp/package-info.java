/** Reading TCP socket information ({@code TCP_INFO}) without allocation. */
package dev.understudy.netfilter.tcp;
