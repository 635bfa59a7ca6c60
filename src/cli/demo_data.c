/* demo_data.c - the sample installation of csirtd demo (see demo_data.h). */
#include "cli/demo_data.h"

/* ---- the constituency ---------------------------------------------- */

const struct demo_org demo_orgs[N_ORGS] = {
    [O_XOT] = {"XOT", "Xarxa Oberta Telecom", "telecommunications", "ca,es,en",
               NULL,
               "Regional ISP with a 24/7 NOC; upstream of the town halls "
               "of the comarca and parent of Núvol Migjorn Hosting.",
               "xot.example", "xot", "198.51.100.", 2, 30, true},
    [O_NUVOL] = {"NUVOL", "Núvol Migjorn Hosting", "hosting", "ca,es,en", "XOT",
                 "Hosting and VPS subsidiary of Xarxa Oberta Telecom; "
                 "customers' servers, abuse desk during office hours.",
                 "nuvol-hosting.example", "nuvol", "198.51.100.", 130, 250,
                 false},
    [O_VILAFRANCA] = {"AJ-VILAFRANCA", "Ajuntament de Vilafranca",
                      "local government", "ca,es", NULL,
                      "Town hall of 40,000 inhabitants; IT run by a team of "
                      "four, network from Xarxa Oberta Telecom.",
                      "vilafranca.example", "vilafranca", "198.51.100.", 34, 46,
                      false},
    [O_ERREKALDE] = {"ERREKALDE", "Errekaldeko Udala", "local government",
                     "eu,es", NULL,
                     "Town hall (Ayuntamiento de Errekalde); prefers Basque "
                     "for correspondence, Spanish is fine.",
                     "errekalde.example", "errekalde", "198.51.100.", 50, 62,
                     false},
    [O_HOSP] = {"HOSP-SANTLLUC", "Hospital Comarcal de Sant Lluc", "health",
                "ca,es", NULL,
                "Regional hospital, 350 beds; medical devices on their own "
                "network segment. Essential entity.",
                "hsantlluc.example", "hsantlluc", "203.0.113.", 2, 62, true},
    [O_UNI] = {"UNI-MIGJORN", "Universitat del Migjorn",
               "education and research", "ca,es,en", NULL,
               "University with its own AS and CSIRT-UM, the university's "
               "security team; open campus network.",
               "umigjorn.example", "umigjorn", "192.0.2.", 2, 126, false},
    [O_AIGUES] = {"AIGUES", "Aigües del Migjorn", "water supply", "ca,es,fr",
                  NULL,
                  "Water utility serving the region and two French "
                  "communes across the border; SCADA for pumping stations. "
                  "Essential entity.",
                  "aigues-migjorn.example", "aigues", "203.0.113.", 66, 94,
                  true},
    [O_GOV] = {"GOV-DAD", "Departament d'Administració Digital", "government",
               "ca,es,eu", NULL,
               "Regional government department running the shared "
               "e-government platform and the citizens' portal.",
               "gov-migjorn.example", "gov-migjorn", "192.0.2.", 130, 190,
               true},
};

const struct demo_contact demo_contacts[] = {
    {O_XOT, "NOC de guàrdia", "noc@xot.example", "abuse", "en"},
    {O_XOT, "Equip de seguretat XOT", "csirt@xot.example", "security", "ca"},
    {O_XOT, "Laia Soler", "laia.soler@xot.example", "management", "es"},
    {O_NUVOL, "Abuse desk", "abuse@nuvol-hosting.example", "abuse", "en"},
    {O_NUVOL, "Oriol Camps", "oriol.camps@nuvol-hosting.example", "security",
     "ca"},
    {O_VILAFRANCA, "Servei d'Informàtica", "informatica@vilafranca.example",
     "security", "ca"},
    {O_VILAFRANCA, "Secretaria municipal", "secretaria@vilafranca.example",
     "management", "es"},
    {O_ERREKALDE, "Mikel Arrieta", "informatika@errekalde.example", "security",
     "eu"},
    {O_ERREKALDE, "Alkatetza", "alkatetza@errekalde.example", "management",
     "es"},
    {O_HOSP, "Seguretat de la informació", "seguretat@hsantlluc.example",
     "security", "ca"},
    {O_HOSP, "Guardia de sistemas", "sistemas@hsantlluc.example", "abuse",
     "es"},
    {O_HOSP, "Direcció de Sistemes d'Informació", "dsi@hsantlluc.example",
     "management", "ca"},
    {O_UNI, "CSIRT-UM", "csirt@umigjorn.example", "security", "en"},
    {O_UNI, "Abuse UM", "abuse@umigjorn.example", "abuse", "ca"},
    {O_AIGUES, "Ciberseguridad", "ciberseguridad@aigues-migjorn.example",
     "security", "es"},
    {O_AIGUES, "Centre de control", "control@aigues-migjorn.example", "abuse",
     "ca"},
    {O_AIGUES, "Direction technique", "direction@aigues-migjorn.example",
     "management", "fr"},
    {O_GOV, "Centre de Seguretat", "soc@gov-migjorn.example", "security", "ca"},
    {O_GOV, "Itziar Lasa", "itziar.lasa@gov-migjorn.example", "abuse", "eu"},
    {O_GOV, "Secretaría General", "secretaria.general@gov-migjorn.example",
     "management", "es"},
};

/* All or nothing; assets already there are skipped (with --force). */
const char demo_assets_csv[] = "org,kind,value\n"
                               "XOT,asn,AS64496\n"
                               "XOT,asn,AS65536\n"
                               "XOT,cidr,198.51.100.0/24\n"
                               "XOT,cidr,2001:db8::/36\n"
                               "XOT,domain,xot.example\n"
                               "NUVOL,asn,AS65537\n"
                               "NUVOL,cidr,198.51.100.128/25\n"
                               "NUVOL,cidr,2001:db8:800::/40\n"
                               "NUVOL,domain,nuvol-hosting.example\n"
                               "AJ-VILAFRANCA,cidr,198.51.100.32/28\n"
                               "AJ-VILAFRANCA,domain,vilafranca.example\n"
                               "ERREKALDE,cidr,198.51.100.48/28\n"
                               "ERREKALDE,domain,errekalde.example\n"
                               "HOSP-SANTLLUC,cidr,203.0.113.0/26\n"
                               "HOSP-SANTLLUC,cidr,2001:db8:6000::/48\n"
                               "HOSP-SANTLLUC,domain,hsantlluc.example\n"
                               "UNI-MIGJORN,asn,AS64497\n"
                               "UNI-MIGJORN,cidr,192.0.2.0/25\n"
                               "UNI-MIGJORN,cidr,2001:db8:4000::/36\n"
                               "UNI-MIGJORN,domain,umigjorn.example\n"
                               "AIGUES,asn,AS64499\n"
                               "AIGUES,cidr,203.0.113.64/27\n"
                               "AIGUES,domain,aigues-migjorn.example\n"
                               "GOV-DAD,asn,AS64498\n"
                               "GOV-DAD,cidr,192.0.2.128/26\n"
                               "GOV-DAD,cidr,2001:db8:5000::/40\n"
                               "GOV-DAD,domain,gov-migjorn.example\n";

/* ---- the team and the constituents' accounts ------------------------ */

const struct demo_user demo_users[DEMO_USERS] = {
    {"marta.puig", "Marta Puig i Vila", "marta.puig@csirt-migjorn.example",
     ROLE_HANDLER, -1},
    {"iker.etxeberria", "Iker Etxeberria",
     "iker.etxeberria@csirt-migjorn.example", ROLE_HANDLER, -1},
    {"lucia.romero", "Lucía Romero", "lucia.romero@csirt-migjorn.example",
     ROLE_HANDLER, -1},
    {"jordi.vidal", "Jordi Vidal (team lead)",
     "jordi.vidal@csirt-migjorn.example", ROLE_VIEWER, -1},
    {"nuria.ferrer", "Núria Ferrer", "informatica@vilafranca.example",
     ROLE_CONSTITUENT, O_VILAFRANCA},
    {"pau.serra", "Pau Serra", "seguretat@hsantlluc.example", ROLE_CONSTITUENT,
     O_HOSP},
    {"ane.goikoetxea", "Ane Goikoetxea", "ane.goikoetxea@umigjorn.example",
     ROLE_CONSTITUENT, O_UNI},
    {"carmen.ortiz", "Carmen Ortiz", "ciberseguridad@aigues-migjorn.example",
     ROLE_CONSTITUENT, O_AIGUES},
};

/* ---- kinds of incident ----------------------------------------------- */

#define NOTE "\n\n*Demo data: a fictional organisation and indicators.*"

const struct demo_kind demo_kinds[N_KINDS] = {
    [K_PHISH_WEBMAIL] =
        {"phishing", 0, 6, LEVEL_MEDIUM, LEVEL_HIGH,
         "T1566.002,credential-phishing",
         "Credential phishing imitating the {org} webmail",
         "Staff of **{org}** received e-mails linking to a fake Outlook Web "
         "Access page at `{slug}-webmail[.]example`. At least {n} "
         "recipients; unknown how many entered their password." NOTE,
         "+url hxxps://{slug}-webmail[.]example/owa/auth/logon.aspx\n"
         "+domain {slug}-webmail[.]example\n"
         "+ipv4 {ext}\n"
         "+email it-support[@]{slug}-mail[.]example",
         "Same kit as last month (identical favicon and form action). "
         "Takedown requested from the hosting provider.",
         "email", "Personal <personal@{dom}>", "ca",
         "Correu sospitós: «La vostra bústia està plena»",
         "Hola,\n\navui hem rebut aquest correu a diverses bústies. "
         "L'enllaç porta a "
         "hxxps://{slug}-webmail[.]example/owa/auth/logon.aspx i demana la "
         "contrasenya.\nEl remitent és it-support[@]{slug}-mail[.]example "
         "(IP {ext}).\n\nSalutacions"},
    [K_PHISH_INVOICE] =
        {"phishing", 0, 4, LEVEL_HIGH, LEVEL_HIGH,
         "T1566.001,T1204.002,malspam",
         "Fake tax-agency invoices with a macro attachment at {org}",
         "E-mails impersonating the *Agència Tributària del Migjorn* carry "
         "`Factura_{n}.xlsm`; the macro downloads a loader from "
         "`{ext}`." NOTE,
         "+email notificacions[@]atm-tributs[.]example\n"
         "filename Factura_{n}.xlsm\n"
         "+sha256 {sha256}\n"
         "+url hxxp://{ext}/dl/inv{n}.bin",
         "Sandbox: the macro drops a loader beaconing every 300 s. Same "
         "sender infrastructure as the rest of the campaign.",
         "email", "Soporte TIC de {org} <soporte@{dom}>", "es",
         "Facturas falsas de la Agencia Tributaria",
         "Buenos días:\n\nvarios empleados de {org} han recibido un correo "
         "con el adjunto Factura_{n}.xlsm desde "
         "notificacions[@]atm-tributs[.]example. Un compañero abrió el "
         "fichero y después el equipo contactó con "
         "hxxp://{ext}/dl/inv{n}.bin\nSHA-256 del adjunto: {sha256}\n\n"
         "Un saludo"},
    [K_BOT] = {"infected-system", 0, 5, LEVEL_MEDIUM, LEVEL_MEDIUM,
               "T1071.001,botnet,sinkhole",
               "Bot-infected host {ip} at {org} contacting a sinkhole",
               "Our sinkhole partner saw `{ip}` connect {n} times in 24 h to "
               "a known *Qakbot-like* command-and-control domain. Probably a "
               "workstation behind NAT." NOTE,
               "ipv4 {ip}\n+domain qk-update[.]example\n+ipv4 {ext}",
               "NAT gateway: the constituent must map the internal host from "
               "its firewall logs.",
               "feed", "Sinkhole feed (demo)", "en",
               "Sinkhole hit: {ip} (botnet drone)",
               "feed=demo-sinkhole\ntype=infected-system\n"
               "source_ip={ip}\ndestination_fqdn=qk-update[.]example\n"
               "destination_ip={ext}\ncount={n}"},
    [K_C2] = {"c2-server", ORG(O_NUVOL) | ORG(O_XOT) | ORG(O_UNI), 2,
              LEVEL_HIGH, LEVEL_HIGH, "T1071.001,c2",
              "Command-and-control panel on {org} address {ip}",
              "A server at `{ip}` hosts the panel (`/gate.php`) of an "
              "info-stealer. A partner CERT asked for a takedown." NOTE,
              "ipv4 {ip}\n+url hxxp://{ip}:8080/gate[.]php\n+sha256 {sha256}",
              "Customer VPS; abuse desk informed, waiting for the "
              "suspension.",
              "email", "Partner CERT <cert@partner-cert.example>", "en",
              "C2 panel hosted in your constituency ({ip})",
              "Dear colleagues,\n\nwe observed an info-stealer panel at "
              "hxxp://{ip}:8080/gate[.]php (sample SHA-256 {sha256}). Could "
              "you ask the hosting provider to take it down?\n\nTLP:AMBER\n"
              "Kind regards"},
    [K_MALDIST] = {"malware-distribution", 0, 2, LEVEL_MEDIUM, LEVEL_HIGH,
                   "T1189,compromised-website",
                   "Compromised website {dom} serving malware",
                   "`www.{dom}` injects a fake browser update that downloads "
                   "a loader (MD5 `{md5}`)." NOTE,
                   "+url hxxps://www[.]{dom}/wp-content/uploads/update[.]js\n"
                   "+md5 {md5}\n+ipv4 {ext}",
                   "Outdated WordPress plugin; the injected script loads from "
                   "{ext}.",
                   NULL, NULL, NULL, NULL, NULL},
    [K_SCAN] = {"scanner", 0, 3, LEVEL_LOW, LEVEL_LOW, "T1595.002,scanning",
                "Port scanning from {org} host {ip}",
                "`{ip}` scanned TCP 22, 445 and 3389 across foreign networks; "
                "abuse complaints received." NOTE,
                "ipv4 {ip}",
                "Either a compromised host or an unauthorised scan; asked the "
                "constituent.",
                "email", "Service abuse <abuse@hebergeur-fr.example>", "fr",
                "Signalement d'abus : balayage de ports depuis {ip}",
                "Bonjour,\n\nnous avons observé un balayage de ports (TCP 22, "
                "445, 3389) depuis {ip} vers notre réseau entre 02:10 et "
                "02:45 UTC. Merci de faire le nécessaire.\n\nCordialement,\n"
                "Service abuse"},
    [K_BRUTE] =
        {"brute-force", 0, 3, LEVEL_MEDIUM, LEVEL_MEDIUM,
         "T1110.003,password-spraying",
         "Password spraying against the {org} VPN portal",
         "About {n}00 failed logins an hour from `{ext}` and `{ext2}` "
         "against the SSL VPN; no successful login seen so "
         "far." NOTE,
         "+ipv4 {ext}\n+ipv4 {ext2}\nurl hxxps://vpn[.]{dom}/remote/login",
         "Geo-blocking proposed. MFA is on for people but not for two "
         "service accounts.",
         NULL, NULL, NULL, NULL, NULL},
    [K_EXPLOIT] = {"exploit",
                   ORG(O_GOV) | ORG(O_UNI) | ORG(O_HOSP) | ORG(O_VILAFRANCA) |
                       ORG(O_ERREKALDE),
                   2, LEVEL_HIGH, LEVEL_CRITICAL, "T1190,CVE-2023-4966",
                   "Exploitation attempts of CVE-2023-4966 against the {org} "
                   "gateway",
                   "The gateway at `{ip}` logged session-token leak requests "
                   "(CVE-2023-4966) from `{ext}`." NOTE,
                   "cve CVE-2023-4966\n+ipv4 {ext}\nipv4 {ip}",
                   "The appliance is on a fixed build; sessions revoked "
                   "anyway as advised by the vendor.",
                   NULL, NULL, NULL, NULL, NULL},
    [K_RANSOM] = {"system-compromise",
                  ORG(O_HOSP) | ORG(O_VILAFRANCA) | ORG(O_ERREKALDE) |
                      ORG(O_UNI) | ORG(O_AIGUES),
                  1, LEVEL_CRITICAL, LEVEL_CRITICAL, "T1486,T1078,ransomware",
                  "Ransomware encrypting file servers at {org}",
                  "Files renamed to `.lck{n}`, ransom note "
                  "`README_RESTORE.txt`. Offline backups look intact; initial "
                  "access under investigation." NOTE,
                  "filename README_RESTORE.txt\n+sha256 {sha256}\n+ipv4 {ext}\n"
                  "+url hxxp://lck{n}leaks[.]example/",
                  "Bridge call every 2 h. No payment; the constituent "
                  "informed the police.",
                  NULL, NULL, NULL, NULL, NULL},
    [K_MAILBOX] = {"unprivileged-account-compromise", 0, 3, LEVEL_MEDIUM,
                   LEVEL_HIGH, "T1078,account-takeover",
                   "Compromised mailbox at {org} sending phishing",
                   "The mailbox `administracio@{dom}` sent {n}00 phishing "
                   "e-mails after its password was phished. Logins from "
                   "`{ext}`." NOTE,
                   "email administracio[@]{dom}\n+ipv4 {ext}",
                   "Password reset and sessions revoked; checking the inbox "
                   "rules for forwarding.",
                   "email", "Abuse team <abuse@mailprovider.example>", "en",
                   "Phishing sent from administracio@{dom}",
                   "Hello,\n\nour filters blocked {n}00 phishing messages sent "
                   "from administracio[@]{dom} through your mail server "
                   "today. The sending client connected from {ext}.\n\n"
                   "Regards"},
    [K_PRIVACCOUNT] = {"privileged-account-compromise",
                       ORG(O_GOV) | ORG(O_UNI) | ORG(O_HOSP) | ORG(O_AIGUES) |
                           ORG(O_XOT),
                       1, LEVEL_CRITICAL, LEVEL_HIGH,
                       "T1078.002,credential-leak",
                       "Domain administrator credentials of {org} in an "
                       "info-stealer log",
                       "An info-stealer log offered on a market holds the "
                       "password of a domain admin account of {org} and a VPN "
                       "session cookie." NOTE,
                       "url hxxps://vpn[.]{dom}/\n+sha256 {sha256}",
                       "Confirmed with the constituent: the account is real "
                       "and was still enabled.",
                       NULL, NULL, NULL, NULL, NULL},
    [K_WEBSHELL] = {"application-compromise", 0, 2, LEVEL_HIGH, LEVEL_HIGH,
                    "T1505.003,T1190,webshell", "Web shell on the {org} CMS",
                    "A PHP web shell sat at `/images/cache/s.php` on "
                    "`www.{dom}`, uploaded through an outdated form "
                    "plugin." NOTE,
                    "+url hxxps://www[.]{dom}/images/cache/s[.]php\n"
                    "+sha256 {sha256}\n+ipv4 {ext}",
                    "Disk image kept for analysis; the CMS is being rebuilt.",
                    NULL, NULL, NULL, NULL, NULL},
    [K_DDOS] = {"ddos",
                ORG(O_GOV) | ORG(O_VILAFRANCA) | ORG(O_ERREKALDE) | ORG(O_XOT) |
                    ORG(O_NUVOL) | ORG(O_UNI),
                2, LEVEL_HIGH, LEVEL_CRITICAL, "T1498.002,ddos,hacktivism",
                "DDoS against the {org} online services",
                "Peaks of {n} Gbit/s of UDP reflection towards `{ip}`; a "
                "hacktivist channel claimed the attack." NOTE,
                "ipv4 {ip}\nasn AS64510\nasn AS65550",
                "Upstream filtering by the ISP; traffic normal after three "
                "hours.",
                "web", "Citizen via the report form", "es",
                "La sede electrónica de {org} no funciona",
                "Desde esta mañana no puedo acceder a la sede electrónica "
                "(www.{dom}). En redes sociales un grupo dice que la está "
                "atacando."},
    [K_AMPLIFIER] = {"ddos-amplifier", 0, 2, LEVEL_LOW, LEVEL_LOW,
                     "open-resolver", "Open DNS resolver at {ip} ({org})",
                     "`{ip}` answers recursive DNS queries from anywhere and "
                     "can be abused for amplification." NOTE,
                     "ipv4 {ip}",
                     "From the weekly scan feed; it comes back after every "
                     "router replacement.",
                     "feed", "Open resolver scan (demo)", "en",
                     "Open DNS resolver: {ip}",
                     "feed=demo-open-resolvers\n"
                     "type=ddos-amplifier\nsource_ip={ip}\n"
                     "transport=udp\nsource_port=53"},
    [K_VULN] = {"vulnerable-system", 0, 3, LEVEL_MEDIUM, LEVEL_MEDIUM,
                "CVE-2024-3400,patching",
                "Firewall of {org} vulnerable to CVE-2024-3400",
                "The VPN gateway at `{ip}` reports a version affected by "
                "CVE-2024-3400 (CVSS 10.0)." NOTE,
                "cve CVE-2024-3400\nipv4 {ip}",
                "Sent the vendor's advisory; asked for the patch date.", "feed",
                "Vulnerable devices scan (demo)", "en",
                "Vulnerable PAN-OS GlobalProtect: {ip}",
                "feed=demo-vulnerable-devices\n"
                "type=vulnerable-system\nsource_ip={ip}\n"
                "cve=CVE-2024-3400"},
    [K_RDP] = {"potentially-unwanted-accessible", 0, 2, LEVEL_LOW, LEVEL_MEDIUM,
               "T1133,exposed-service",
               "Remote desktop exposed to the Internet at {ip} ({org})",
               "RDP (TCP 3389) on `{ip}` is reachable from anywhere, a common "
               "ransomware entry point." NOTE,
               "ipv4 {ip}", "Asked to put it behind the VPN.", "api",
               "National CSIRT sharing platform (demo)", "en",
               "Accessible RDP: {ip}",
               "Shared by the national CSIRT through the API.\n"
               "type=potentially-unwanted-accessible\n"
               "source_ip={ip}\nsource_port=3389"},
    [K_LEAK] = {"data-leak",
                ORG(O_VILAFRANCA) | ORG(O_ERREKALDE) | ORG(O_HOSP) |
                    ORG(O_GOV) | ORG(O_UNI),
                1, LEVEL_HIGH, LEVEL_HIGH, "T1567,data-leak,gdpr",
                "Personal data of {org} offered on a leak forum",
                "A seller offers a {n} MB archive said to hold citizens' "
                "records of {org}; the sample looks genuine." NOTE,
                "+url hxxp://leakmarket[.]example/thread/{n}\n+sha256 {sha256}",
                "Data protection officer informed; the constituent started the "
                "72-hour GDPR clock.",
                "web", "Periodista (formulario web)", "es",
                "Filtración de datos de {org} en un foro",
                "Buenas tardes:\n\nen hxxp://leakmarket[.]example/thread/{n} "
                "se venden datos que parecen de {org}. ¿Lo tenéis "
                "controlado?"},
    [K_RECORDS] = {"unauthorised-information-access", ORG(O_HOSP), 1,
                   LEVEL_HIGH, LEVEL_HIGH, "T1078,patient-data",
                   "Unauthorised access to patient records at {org}",
                   "The account of a former contractor read {n}0 patient "
                   "records through the clinical portal." NOTE,
                   "ipv4 {ip}",
                   "Account disabled; access logs requested for the last 90 "
                   "days.",
                   NULL, NULL, NULL, NULL, NULL},
    [K_SCADA] = {"misconfiguration", ORG(O_AIGUES), 1, LEVEL_HIGH, LEVEL_HIGH,
                 "T0883,ics,exposed-service",
                 "Modbus interface of a {org} pumping station reachable from "
                 "the Internet",
                 "TCP 502 on `{ip}` answers Modbus requests; it belongs to a "
                 "pumping station's PLC." NOTE,
                 "ipv4 {ip}",
                 "Called the control centre: they closed the port on the "
                 "station's router within the hour.",
                 NULL, NULL, NULL, NULL, NULL},
    [K_SPAM] = {"spam", 0, 2, LEVEL_LOW, LEVEL_LOW, "spam",
                "Spam sent through the {org} mail relay {ip}",
                "`{ip}` relays spam for outside senders." NOTE, "ipv4 {ip}",
                "Open relay after a migration; the constituent fixed the "
                "configuration.",
                "email", "Abuse team <abuse@mailprovider.example>", "en",
                "Spam from {ip}",
                "Hello,\n\n{ip} sent us {n}000 spam messages in the last hour. "
                "Please have a look.\n\nRegards"},
    [K_MASQUERADE] =
        {"masquerade",
         ORG(O_VILAFRANCA) | ORG(O_ERREKALDE) | ORG(O_GOV) | ORG(O_AIGUES), 2,
         LEVEL_MEDIUM, LEVEL_HIGH, "T1583.001,brand-abuse",
         "Fake {org} payment site collecting card data",
         "`{slug}-pagaments[.]example` copies the {org} site and "
         "asks for card details to pay a fake bill." NOTE,
         "+domain {slug}-pagaments[.]example\n"
         "+url hxxps://{slug}-pagaments[.]example/rebut\n"
         "+ipv4 {ext}",
         "Registrar and hosting contacted; browsers' safe-browsing "
         "lists notified.",
         "web", "Veí (formulari web)", "ca",
         "Web falsa per pagar rebuts ({org})",
         "Bon dia, he rebut un SMS amb l'enllaç "
         "hxxps://{slug}-pagaments[.]example/rebut per pagar un "
         "rebut pendent. Sembla una web oficial ({org}), però no ho és."},
    [K_MINER] = {"unauthorised-use-of-resources", ORG(O_UNI) | ORG(O_NUVOL), 1,
                 LEVEL_MEDIUM, LEVEL_MEDIUM, "T1496,cryptomining",
                 "Cryptominer on the {org} compute cluster",
                 "Nodes of the cluster at `{ip}` mine Monero for "
                 "`pool-xmr[.]example`." NOTE,
                 "ipv4 {ip}\n+domain pool-xmr[.]example\n+ipv4 {ext}",
                 "Entry through a leaked SSH key of a research account.", NULL,
                 NULL, NULL, NULL, NULL},
    [K_DISCLOSURE] = {"information-disclosure", 0, 2, LEVEL_LOW, LEVEL_LOW,
                      "exposed-backup",
                      "Directory listing exposes database backups on {dom}",
                      "`https://www.{dom}/backup/` lists SQL dumps readable "
                      "by anyone." NOTE,
                      "url hxxps://www[.]{dom}/backup/",
                      "Listing disabled; checking whether the dumps were "
                      "downloaded.",
                      "web", "Security researcher", "en",
                      "Database backups readable on www.{dom}",
                      "Hi, hxxps://www[.]{dom}/backup/ lists .sql files. I "
                      "have not downloaded them. Please fix."},
    [K_VISHING] = {"social-engineering", 0, 1, LEVEL_MEDIUM, LEVEL_MEDIUM,
                   "T1566.004,vishing",
                   "Phone calls impersonating the {org} IT helpdesk",
                   "Staff were called by someone claiming to be the helpdesk "
                   "and asking them to install a remote-support "
                   "tool." NOTE,
                   "+domain {slug}-support[.]example",
                   "Awareness note sent to the constituent's staff.", NULL,
                   NULL, NULL, NULL, NULL},
    [K_UNDETERMINED] = {"undetermined", 0, 1, LEVEL_LOW, LEVEL_MEDIUM,
                        "needs-triage",
                        "Unusual outbound traffic from {org} ({ip})",
                        "NetFlow shows `{ip}` sending {n} GB to `{ext}` at "
                        "night; purpose unknown." NOTE,
                        "ipv4 {ip}\nipv4 {ext}",
                        "Could be a backup job to a cloud provider; waiting "
                        "for the constituent.",
                        NULL, NULL, NULL, NULL, NULL},
    [K_OUTAGE] = {"outage", 0, 1, LEVEL_MEDIUM, LEVEL_HIGH, "availability",
                  "Mail service of {org} down after a failed update",
                  "Incoming mail bounced for {n} hours; no sign of an "
                  "attack." NOTE,
                  "", "Not malicious; kept for the NIS2 incident statistics.",
                  NULL, NULL, NULL, NULL, NULL},
};

/* ---- journal texts, by language ------------------------------------- */

const char *const demo_langs[DEMO_LANGS] = {"ca", "es", "eu", "en", "fr"};

const char *const demo_msg_notify[DEMO_LANGS] = {
    "Bon dia,\n\nus informem que hem obert l'incident {ref} («{title}»). Us "
    "agrairíem que reviséssiu els sistemes afectats i ens indiquéssiu les "
    "mesures adoptades.\n\nCSIRT del Migjorn (dades de demostració)",
    "Buenos días:\n\nos informamos de que hemos abierto el incidente {ref} "
    "(«{title}»). Os agradeceríamos que revisarais los sistemas afectados y "
    "nos indicarais las medidas adoptadas.\n\nCSIRT del Migjorn (datos de "
    "demostración)",
    "Egun on:\n\n{ref} intzidentea ireki dugu («{title}»). Mesedez, berrikusi "
    "kaltetutako sistemak eta jakinarazi iezaguzue hartutako neurriak.\n\n"
    "Migjorneko CSIRTa (demo datuak)",
    "Hello,\n\nwe have opened incident {ref} (\"{title}\"). Please review the "
    "affected systems and tell us which measures you have taken.\n\nCSIRT "
    "del Migjorn (demo data)",
    "Bonjour,\n\nnous avons ouvert l'incident {ref} (« {title} »). Merci de "
    "vérifier les systèmes concernés et de nous indiquer les mesures "
    "prises.\n\nCSIRT du Migjorn (données de démonstration)",
};

const char *const demo_msg_reply[DEMO_LANGS] = {
    "Resposta rebuda ({org}): hem aïllat l'equip afectat i estem revisant els "
    "registres. Us avisarem quan estigui resolt.",
    "Respuesta de {org}: hemos aislado el equipo afectado y estamos "
    "revisando los registros. Os avisaremos cuando esté resuelto.",
    "Erantzuna ({org}): kaltetutako ekipoa isolatu dugu eta erregistroak "
    "aztertzen ari gara. Konpontzen dugunean jakinaraziko dizuegu.",
    "Reply from {org}: we have isolated the affected host and are reviewing "
    "the logs. We will tell you once it is fixed.",
    "Réponse reçue ({org}) : nous avons isolé la machine concernée et "
    "analysons "
    "les journaux. Nous vous tiendrons informés.",
};

const char *const demo_msg_waiting[DEMO_LANGS] = {
    "Seguim pendents de la vostra resposta per continuar amb l'incident "
    "{ref}.",
    "Seguimos a la espera de vuestra respuesta para continuar con el "
    "incidente {ref}.",
    "Zuen erantzunaren zain gaude {ref} intzidentearekin jarraitzeko.",
    "We are still waiting for your answer to continue with incident {ref}.",
    "Nous attendons toujours votre réponse pour poursuivre l'incident {ref}.",
};

const char *const demo_msg_resolved[DEMO_LANGS] = {
    "Donem l'incident {ref} per resolt. Gràcies per la col·laboració.",
    "Damos por resuelto el incidente {ref}. Gracias por vuestra colaboración.",
    "{ref} intzidentea konpondutzat jotzen dugu. Eskerrik asko zuen "
    "laguntzagatik.",
    "We consider incident {ref} resolved. Thank you for your cooperation.",
    "Nous considérons l'incident {ref} comme résolu. Merci de votre "
    "collaboration.",
};

const char *const demo_msg_back[DEMO_LANGS] = {
    "Torna a passar: avui hem vist la mateixa activitat des de {ip}.",
    "Vuelve a ocurrir: hoy hemos visto la misma actividad desde {ip}.",
    "Berriro gertatu da: gaur jarduera bera ikusi dugu {ip} helbidetik.",
    "It is happening again: we saw the same activity from {ip} today.",
    "Cela recommence : nous avons revu la même activité depuis {ip} "
    "aujourd'hui.",
};

const char *const demo_internal_notes[DEMO_INTERNAL_NOTES] = {
    "Checked the indicators against the sharing feeds: no other sightings "
    "in the constituency.",
    "Trucada amb el responsable TIC: confirmen que és un portàtil de l'àrea "
    "d'urbanisme.",
    "Revisado con el proveedor: el tráfico coincide con la ventana del "
    "incidente.",
    "Escalated to the duty manager because of the priority.",
    "Registres del tallafoc rebuts; pendents d'analitzar.",
    "Bezeroarekin hitz egin dugu: datorren astean adabakia aplikatuko dute.",
    "Same ASN as the campaign we tracked in spring; worth a look at the "
    "older incidents.",
    "Llamada al 112 de la comarca no necesaria: sin impacto en servicios "
    "esenciales.",
};

const char *const demo_extra_tasks[DEMO_EXTRA_TASKS] = {
    "Notify the constituent's security contact",
    "Collect firewall logs for the incident window",
    "Confirm that the affected host is isolated",
    "Check the indicators against the sinkhole and sharing feeds",
    "Ask the hosting provider to take the content down",
    "Follow up with the constituent in 48 hours",
    "Share the indicators with the national CSIRT (TLP:AMBER)",
};

/* Reports that never become incidents. */
const struct demo_report demo_rejected[DEMO_REJECTED] = {
    {"web", "Botiga en línia", "es",
     "Solicitud: prueba de intrusión de nuestra tienda online",
     "Queremos contratar una auditoría de seguridad de nuestra web. "
     "¿Cuánto cuesta?"},
    {"email", "Bank customer <someone@mail.example>", "en",
     "Phishing imitating a bank abroad",
     "I received a phishing e-mail imitating a bank in another country: "
     "hxxps://bank-secure-login[.]example/"},
    {"web", "Researcher", "en", "Vulnerability in a home router model",
     "The admin page of router model XR-500 accepts any password. Please "
     "forward to the vendor."},
    {"email", "Usuari <usuari@mail.example>", "ca", "Internet molt lent a casa",
     "Des de fa dues setmanes la connexió de casa va molt lenta. Què puc "
     "fer?"},
    {"web", "Madre preocupada", "es", "¿Cómo denuncio un caso de ciberacoso?",
     "Mi hija recibe mensajes de acoso en una red social."},
    {"email", "Ikaslea <ikaslea@mail.example>", "eu",
     "Zibersegurtasun ikastaroa",
     "Kaixo, zibersegurtasun ikastarorik antolatzen duzue?"},
    {"feed", "Port scan feed (demo)", "en", "Scan from 192.0.2.250",
     "feed=demo-scanners\nsource_ip=192.0.2.250\n"
     "note=outside the constituency"},
};

const struct demo_report demo_spam[DEMO_SPAM] = {
    {"email", "Prize department <win@lottery.example>", "en",
     "You have been selected: claim your prize",
     "Congratulations! Send your bank details to claim EUR 1,000,000."},
    {"email", "SEO Experts <sales@seo.example>", "en",
     "Get your website to the first page",
     "We offer cheap SEO services for csirt-migjorn.example."},
    {"web", "Crypto Gains", "en", "Double your crypto in 24 hours",
     "Invest now at hxxps://crypto-gains[.]example/"},
    {"email", "Comercial <comercial@ofertes.example>", "ca",
     "Proposta de col·laboració comercial",
     "Us oferim material d'oficina a preus de majorista."},
    {"email", "Ventas <ventas@certificados.example>", "es",
     "Oferta exclusiva: certificados SSL baratos",
     "Certificados SSL desde 1 euro al año."},
    {"web", "Concours", "fr", "Vous avez gagné un smartphone",
     "Cliquez ici pour récupérer votre cadeau."},
};
