//! The directives `auth_jwt_zone`, `auth_jwt_metrics_label` and `auth_jwt_metrics`, and the
//! label of each location, fixed while the configuration is merged.

use std::rc::Rc;

use auth_jwt_core::metrics::zone::MIN_ZONE_BYTES;

use crate::conf::{LocConf, MainConf};
use crate::ffi::conf::{parse_size, ConfError, Directive};
use crate::ffi::content::serve_metrics_here;
use crate::ffi::shm::{add_zone, ZoneError};

/// Smallest `auth_jwt_zone` size accepted: the counters and a few workers' status.
pub const MIN_ZONE_SIZE: usize = MIN_ZONE_BYTES + 64 * 1024;

/// `auth_jwt_zone name size;` (http)
pub fn set_zone(d: &mut Directive, _conf: &mut LocConf) -> Result<(), ConfError> {
    // NGX_CONF_TAKE2: args holds the directive name and two values.
    let (name, size) = (d.args()[1], d.args()[2]);
    let main = d.conf.main_conf().ok_or(ConfError::Reported)?;
    if main.metrics.zone_name.is_some() {
        return Err(ConfError::Duplicate);
    }
    let Ok(text) = name.to_str() else {
        return Err(ConfError::Invalid { what: "zone name", value: name.to_string() });
    };
    if text.is_empty() || text.contains('$') {
        return Err(ConfError::Invalid { what: "zone name", value: name.to_string() });
    }
    main.metrics.zone_name = Some(text.to_owned());
    match parse_size(&size) {
        Some(bytes) if bytes >= MIN_ZONE_SIZE => {}
        Some(_) => {
            d.conf.emerg(format_args!(
                "zone \"{name}\" is too small in \"auth_jwt_zone\" directive: it needs at least \
                 {}k",
                MIN_ZONE_SIZE.div_ceil(1024)
            ));
            return Err(ConfError::Reported);
        }
        None => return Err(ConfError::Invalid { what: "zone size", value: size.to_string() }),
    }
    let bytes = parse_size(&size).unwrap_or(MIN_ZONE_SIZE);
    match add_zone(&mut d.conf, &name, bytes) {
        Ok(()) => Ok(()),
        Err(ZoneError::Duplicate) => Err(ConfError::Duplicate),
        Err(ZoneError::Nginx) => Err(ConfError::Reported),
    }
}

/// The value of `auth_jwt_metrics_label` at a level.
#[derive(Clone)]
pub enum LabelSetting {
    /// Requests here are not counted.
    Off,
    Named(Rc<str>),
}

/// `auth_jwt_metrics_label label | off;`
pub fn set_metrics_label(d: &mut Directive, conf: &mut LocConf) -> Result<(), ConfError> {
    if conf.metrics_label_name.is_some() {
        return Err(ConfError::Duplicate);
    }
    // NGX_CONF_TAKE1: args holds the directive name and one value.
    let value = d.args()[1];
    match value.to_str() {
        Ok("off") => {
            conf.metrics_label_name = Some(LabelSetting::Off);
            Ok(())
        }
        // Fixed at configuration time: a label per variable value could grow without bound.
        Ok(label) if !label.contains('$') => {
            conf.metrics_label_name = Some(LabelSetting::Named(label.into()));
            Ok(())
        }
        _ => Err(ConfError::Invalid { what: "label", value: value.to_string() }),
    }
}

/// `auth_jwt_metrics;` (location)
pub fn set_metrics(d: &mut Directive, _conf: &mut LocConf) -> Result<(), ConfError> {
    let main = d.conf.main_conf().ok_or(ConfError::Reported)?;
    if main.metrics.zone_name.is_none() {
        d.conf.emerg(format_args!(
            "\"auth_jwt_metrics\" needs an \"auth_jwt_zone\" earlier in the http block"
        ));
        return Err(ConfError::Reported);
    }
    serve_metrics_here(&mut d.conf).map_err(ConfError::from)
}

/// Fixes the label a location counts under (called for each merged level): its
/// `auth_jwt_metrics_label`, else the realm of its `auth_jwt` as written. Nothing without a
/// zone or where `auth_jwt` is off.
pub fn bind_label(main: &mut MainConf, conf: &mut LocConf) {
    conf.metrics_label = None;
    if main.metrics.zone_name.is_none() {
        return;
    }
    let Some(auth) = conf.enabled() else { return };
    let label = match &conf.metrics_label_name {
        Some(LabelSetting::Off) => return,
        Some(LabelSetting::Named(label)) => label.to_string(),
        None => String::from_utf8_lossy(auth.realm.source()).into_owned(),
    };
    let labels = &mut main.metrics.labels;
    let index = labels.iter().position(|known| *known == label).unwrap_or_else(|| {
        labels.push(label);
        labels.len() - 1
    });
    conf.metrics_label = Some(index);
}
