/**
 * The service's virtual IP: {@link dev.understudy.netfilter.address.InterfaceAddresses} adds and
 * removes it over rtnetlink (idempotently), {@link dev.understudy.netfilter.address.GratuitousArp}
 * announces its new home. No {@code ip} process is spawned.
 */
package dev.understudy.netfilter.address;
